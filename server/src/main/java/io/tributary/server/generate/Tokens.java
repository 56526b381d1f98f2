package io.tributary.server.generate;

import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.GenerationResult;

import java.util.List;

/** Maps decode-loop types to the wire types of the generate endpoints. */
final class Tokens {

    private Tokens() {
    }

    static GenerateResponse.Token toWire(GeneratedToken token) {
        return new GenerateResponse.Token(token.id(), token.text(), token.logProb(), token.special(),
                token.expertWeights());
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

    static GenerateResponse.Details details(GenerationResult result, boolean topTokens) {
        List<GenerateResponse.Token> tokens = result.tokens().stream().map(Tokens::toWire).toList();
        return new GenerateResponse.Details(result.finishReason().wireName(), result.generatedTokens(),
                result.seed(), List.of(), tokens,
                topTokens ? result.tokens().stream().map(Tokens::topTokens).toList() : List.of());
    }

    static StreamResponse.StreamDetails streamDetails(GenerationResult result) {
        return new StreamResponse.StreamDetails(result.finishReason().wireName(), result.generatedTokens(),
                result.seed(), result.promptTokens());
    }
}
