package io.tributary.routing.decode;

import java.util.List;
import java.util.Set;

/**
 * When to stop generating: after {@code maxNewTokens}, on an end-of-sequence token (unless ignored) or one of
 * {@code stopTokenIds}, or once the generated text contains one of the stop sequences (which is kept in the output, as
 * TGI does). Before {@code minTokens} tokens, end-of-sequence and stop tokens are not chosen and stop sequences do not
 * stop, as vLLM's {@code min_tokens}.
 */
public record StoppingCriteria(
        int maxNewTokens, List<String> stopSequences, boolean ignoreEos, int minTokens, Set<Integer> stopTokenIds) {

    public StoppingCriteria {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max_new_tokens must be at least 1, got " + maxNewTokens);
        }
        if (minTokens < 0 || minTokens > maxNewTokens) {
            throw new IllegalArgumentException(
                    "min_tokens must be between 0 and max_new_tokens (" + maxNewTokens + "), got " + minTokens);
        }
        stopSequences = List.copyOf(stopSequences);
        for (String stop : stopSequences) {
            if (stop.isEmpty()) {
                throw new IllegalArgumentException("stop sequences must not be empty");
            }
        }
        stopTokenIds = Set.copyOf(stopTokenIds);
    }

    public StoppingCriteria(int maxNewTokens, List<String> stopSequences, boolean ignoreEos) {
        this(maxNewTokens, stopSequences, ignoreEos, 0, Set.of());
    }

    public static StoppingCriteria maxNewTokens(int maxNewTokens) {
        return new StoppingCriteria(maxNewTokens, List.of(), false);
    }
}
