package io.tributary.routing.sampling;

import java.util.Map;

/**
 * OpenAI's adjustments of the next token's scores before it is chosen, greedy or sampled: each token's score (its
 * log-probability under the mixture) loses {@code frequency} per time the token was generated so far and
 * {@code presence} once if it was generated at all, then gains its {@code logitBias}. vLLM counts the generated tokens
 * only, not the prompt's, as OpenAI documents; {@link SamplingParams#repetitionPenalty()} is the one that reads the
 * prompt.
 *
 * @param presence  subtracted once from every token generated before; -2 to 2, 0 disables
 * @param frequency subtracted per occurrence among the tokens generated before; -2 to 2, 0 disables
 * @param logitBias added to the token's score, -100 to 100 (-100 in effect bans a token, 100 forces it)
 */
public record Penalties(double presence, double frequency, Map<Integer, Double> logitBias) {

    public static final Penalties NONE = new Penalties(0, 0, Map.of());

    public Penalties {
        if (!(presence >= -2 && presence <= 2)) {
            throw new IllegalArgumentException("presence_penalty must be between -2 and 2, got " + presence);
        }
        if (!(frequency >= -2 && frequency <= 2)) {
            throw new IllegalArgumentException("frequency_penalty must be between -2 and 2, got " + frequency);
        }
        logitBias = Map.copyOf(logitBias);
        logitBias.forEach((token, bias) -> {
            if (token < 0) {
                throw new IllegalArgumentException("logit_bias names token " + token + ", not a token id");
            }
            if (!(bias >= -100 && bias <= 100)) {
                throw new IllegalArgumentException(
                        "logit_bias of token " + token + " must be between -100 and 100, got " + bias);
            }
        });
    }

    /** Whether these change any score. */
    public boolean any() {
        return presence != 0 || frequency != 0 || !logitBias.isEmpty();
    }
}
