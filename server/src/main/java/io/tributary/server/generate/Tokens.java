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

    static GenerateResponse.Details details(GenerationResult result) {
        List<GenerateResponse.Token> tokens = result.tokens().stream().map(Tokens::toWire).toList();
        return new GenerateResponse.Details(result.finishReason().wireName(), result.generatedTokens(),
                result.seed(), List.of(), tokens);
    }

    static StreamResponse.StreamDetails streamDetails(GenerationResult result) {
        return new StreamResponse.StreamDetails(result.finishReason().wireName(), result.generatedTokens(),
                result.seed(), result.promptTokens());
    }
}
