package io.tributary.routing.decode;

import java.util.List;

/**
 * The outcome of a finished generation.
 *
 * @param generatedText the concatenated text of all non-special tokens
 * @param seed          the sampling seed used, when sampling; {@code null} for greedy decoding
 */
public record GenerationResult(String generatedText, FinishReason finishReason, int promptTokens,
                               List<GeneratedToken> tokens, Long seed) {

    public GenerationResult {
        tokens = List.copyOf(tokens);
    }

    public int generatedTokens() {
        return tokens.size();
    }
}
