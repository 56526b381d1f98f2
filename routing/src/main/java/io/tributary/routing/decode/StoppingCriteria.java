package io.tributary.routing.decode;

import java.util.List;

/**
 * When to stop generating: after {@code maxNewTokens}, on an end-of-sequence token (unless ignored), or once
 * the generated text contains one of the stop sequences (which is kept in the output, as TGI does).
 */
public record StoppingCriteria(int maxNewTokens, List<String> stopSequences, boolean ignoreEos) {

    public StoppingCriteria {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max_new_tokens must be at least 1, got " + maxNewTokens);
        }
        stopSequences = List.copyOf(stopSequences);
        for (String stop : stopSequences) {
            if (stop.isEmpty()) {
                throw new IllegalArgumentException("stop sequences must not be empty");
            }
        }
    }

    public static StoppingCriteria maxNewTokens(int maxNewTokens) {
        return new StoppingCriteria(maxNewTokens, List.of(), false);
    }
}
