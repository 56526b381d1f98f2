package io.tributary.server.api.tgi;

import io.tributary.routing.Detokenizer;
import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.decode.GenerationResult;
import io.tributary.server.serving.ExpertFailover;
import io.tributary.server.serving.LostExpert;

import java.util.ArrayList;
import java.util.List;

/** Maps decode-loop types to the wire types of the generate endpoints. */
final class Tokens {

    private Tokens() {}

    static GenerateResponse.Token toWire(GeneratedToken token) {
        return new GenerateResponse.Token(
                token.id(), token.text(), token.logProb(), token.special(), token.expertWeights());
    }

    /** The token's alternatives, or {@code null} when the request asked for none (TGI omits them then). */
    static List<GenerateResponse.TopToken> topTokens(GeneratedToken token) {
        if (token.topTokens().isEmpty()) {
            return null;
        }
        return token.topTokens().stream()
                .map(top -> new GenerateResponse.TopToken(top.id(), top.text(), top.logProb(), top.special()))
                .toList();
    }

    static GenerateResponse.Details details(
            GenerationResult result, GenerationRequest request, Detokenizer detokenizer) {
        return details(result, List.of(), request, detokenizer);
    }

    /** The details of the chosen answer, with the {@code best_of} answers not chosen (none: not listed). */
    static GenerateResponse.Details details(
            GenerationResult result,
            List<GenerationResult> others,
            GenerationRequest request,
            Detokenizer detokenizer) {
        return new GenerateResponse.Details(
                result.finishReason().wireName(),
                result.generatedTokens(),
                result.seed(),
                prefill(request.prompt().tokenIds(), result.promptLogProbs(), detokenizer),
                result.tokens().stream().map(Tokens::toWire).toList(),
                topTokensOf(result, request),
                LostExpert.of(result.lostExperts()),
                result.cachedPromptPositions(),
                others.isEmpty()
                        ? null
                        : others.stream()
                                .map(other -> new GenerateResponse.BestOfSequence(
                                        other.generatedText(),
                                        other.finishReason().wireName(),
                                        other.generatedTokens(),
                                        other.seed(),
                                        prefill(request.prompt().tokenIds(), other.promptLogProbs(), detokenizer),
                                        other.tokens().stream()
                                                .map(Tokens::toWire)
                                                .toList(),
                                        topTokensOf(other, request)))
                                .toList(),
                ExpertFailover.of(result.failovers()));
    }

    private static List<List<GenerateResponse.TopToken>> topTokensOf(
            GenerationResult result, GenerationRequest request) {
        return request.topTokens() > 0
                ? result.tokens().stream().map(Tokens::topTokens).toList()
                : List.of();
    }

    /** The prompt's tokens with their log-probabilities (TGI's {@code prefill}); empty unless they were asked. */
    private static List<GenerateResponse.PrefillToken> prefill(int[] ids, float[] logProbs, Detokenizer detokenizer) {
        if (logProbs == null) {
            return List.of();
        }
        List<GenerateResponse.PrefillToken> prefill = new ArrayList<>(ids.length);
        for (int t = 0; t < ids.length; t++) {
            float logProb = t < logProbs.length ? logProbs[t] : Float.NaN;
            prefill.add(new GenerateResponse.PrefillToken(
                    ids[t], detokenizer.tokenText(ids[t]), Float.isNaN(logProb) ? null : logProb));
        }
        return prefill;
    }

    static StreamResponse.StreamDetails streamDetails(GenerationResult result) {
        return new StreamResponse.StreamDetails(
                result.finishReason().wireName(),
                result.generatedTokens(),
                result.seed(),
                result.promptTokens(),
                LostExpert.of(result.lostExperts()),
                result.cachedPromptPositions(),
                ExpertFailover.of(result.failovers()));
    }
}
