package io.tributary.routing.decode;

import java.util.List;

/**
 * The outcome of a finished generation.
 *
 * @param generatedText the concatenated text of all non-special tokens
 * @param seed           the sampling seed used, when sampling; {@code null} for greedy decoding
 * @param promptLogProbs each prompt token's log-probability under the mixture that chose the first token
 *                       ({@code NaN} for the first token), when the request asked; otherwise {@code null}
 * @param lostExperts    experts that became unavailable during the generation, which finished without them
 * @param cachedPromptPositions prompt positions that every expert which ran the prompt took from its prefix cache
 *                       (the least of them), counted as the experts count positions (an image as its features)
 * @param failovers      sessions of remote experts that moved to another replica when theirs failed
 */
public record GenerationResult(
        String generatedText,
        FinishReason finishReason,
        int promptTokens,
        List<GeneratedToken> tokens,
        Long seed,
        float[] promptLogProbs,
        List<LostExpert> lostExperts,
        int cachedPromptPositions,
        List<ExpertFailover> failovers) {

    public GenerationResult {
        tokens = List.copyOf(tokens);
        promptLogProbs = promptLogProbs == null ? null : promptLogProbs.clone();
        lostExperts = List.copyOf(lostExperts);
        failovers = List.copyOf(failovers);
    }

    public GenerationResult(
            String generatedText,
            FinishReason finishReason,
            int promptTokens,
            List<GeneratedToken> tokens,
            Long seed,
            float[] promptLogProbs) {
        this(generatedText, finishReason, promptTokens, tokens, seed, promptLogProbs, List.of(), 0, List.of());
    }

    public GenerationResult(
            String generatedText, FinishReason finishReason, int promptTokens, List<GeneratedToken> tokens, Long seed) {
        this(generatedText, finishReason, promptTokens, tokens, seed, null);
    }

    @Override
    public float[] promptLogProbs() {
        return promptLogProbs == null ? null : promptLogProbs.clone();
    }

    public int generatedTokens() {
        return tokens.size();
    }
}
