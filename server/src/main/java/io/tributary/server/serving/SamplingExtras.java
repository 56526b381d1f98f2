package io.tributary.server.serving;

import java.util.Map;
import java.util.Set;

/**
 * The sampling and stopping fields beyond TGI's parameters, with OpenAI's and vLLM's names and meanings: penalties
 * on what was generated, logit bias, {@code min_p}, {@code min_tokens}, {@code ignore_eos} and
 * {@code stop_token_ids}. Checked against the vocabulary and the limits by {@link RequestTranslator}.
 *
 * @param logitBias token id to the bias added to its score, -100 to 100
 */
public record SamplingExtras(
        double presencePenalty,
        double frequencyPenalty,
        Map<Integer, Double> logitBias,
        double minP,
        int minTokens,
        boolean ignoreEos,
        Set<Integer> stopTokenIds) {

    public static final SamplingExtras NONE = new SamplingExtras(0, 0, Map.of(), 0, 0, false, Set.of());

    public SamplingExtras {
        logitBias = Map.copyOf(logitBias);
        stopTokenIds = Set.copyOf(stopTokenIds);
    }

    /** TGI's one field of these: {@code frequency_penalty}. */
    static SamplingExtras of(GenerateParameters parameters) {
        return parameters.frequencyPenalty() == null
                ? NONE
                : new SamplingExtras(0, parameters.frequencyPenalty(), Map.of(), 0, 0, false, Set.of());
    }
}
