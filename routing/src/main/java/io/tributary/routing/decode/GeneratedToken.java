package io.tributary.routing.decode;

import java.util.List;

/**
 * One generated token as published to listeners.
 *
 * @param index         0-based position among the generated tokens
 * @param id            token id
 * @param text          the text this token completes (may be empty while a multi-byte character is pending)
 * @param logProb       natural-log probability of this token under the mixture
 * @param special       whether it is a special token (its text is then not part of the generated text)
 * @param expertWeights the weights the router gave each expert for this token
 * @param finishReason  set on the last token of a generation, {@code null} on all others
 * @param topTokens     the most likely tokens at this step, as many as the request asked for (often none)
 */
public record GeneratedToken(
        int index,
        int id,
        String text,
        float logProb,
        boolean special,
        double[] expertWeights,
        FinishReason finishReason,
        List<TopToken> topTokens) {

    public GeneratedToken {
        expertWeights = expertWeights.clone();
        topTokens = List.copyOf(topTokens);
    }

    public GeneratedToken(
            int index,
            int id,
            String text,
            float logProb,
            boolean special,
            double[] expertWeights,
            FinishReason finishReason) {
        this(index, id, text, logProb, special, expertWeights, finishReason, List.of());
    }

    public boolean last() {
        return finishReason != null;
    }

    @Override
    public double[] expertWeights() {
        return expertWeights.clone();
    }
}
