package io.tributary.routing.decode;

import io.tributary.routing.Prompt;

import java.util.Arrays;
import java.util.Set;

/**
 * What a generation has produced so far, the ids and the text, and when it must stop: an end-of-sequence token
 * (unless ignored), a stop sequence in the text (it may span tokens), or {@code max_new_tokens}.
 */
final class Transcript {

    private final StoppingCriteria stopping;
    private final Set<Integer> eosTokenIds;
    private final StringBuilder text = new StringBuilder();
    private int[] ids = new int[16];
    private int length;

    Transcript(StoppingCriteria stopping, Set<Integer> eosTokenIds) {
        this.stopping = stopping;
        this.eosTokenIds = eosTokenIds;
    }

    /** Why the generation ends with {@code token}, whose text is {@code piece}; {@code null} when it goes on. */
    FinishReason finishReason(int token, String piece) {
        boolean mayStop = length + 1 >= stopping.minTokens();
        if (mayStop
                && (!stopping.ignoreEos() && eosTokenIds.contains(token)
                        || stopping.stopTokenIds().contains(token))) {
            return FinishReason.EOS_TOKEN;
        }
        if (mayStop && endsWithStopSequence(piece)) {
            return FinishReason.STOP_SEQUENCE;
        }
        if (length + 1 >= stopping.maxNewTokens()) {
            return FinishReason.LENGTH;
        }
        return null;
    }

    /**
     * The tokens the next one must not be while fewer than {@code min_tokens} are generated: end of sequence (unless
     * ignored) and the stop tokens; empty after.
     */
    Set<Integer> suppressedTokens() {
        if (length >= stopping.minTokens()) {
            return Set.of();
        }
        Set<Integer> suppressed = new java.util.HashSet<>(stopping.stopTokenIds());
        if (!stopping.ignoreEos()) {
            suppressed.addAll(eosTokenIds);
        }
        return suppressed;
    }

    /** Records a generated token and the text it completes. */
    void append(int token, String piece) {
        if (length == ids.length) {
            ids = Arrays.copyOf(ids, ids.length * 2);
        }
        ids[length++] = token;
        text.append(piece);
    }

    String text() {
        return text.toString();
    }

    /** The prompt followed by every token generated so far, for an expert joining mid-generation. */
    Prompt after(Prompt prompt) {
        if (length == 0) {
            return prompt;
        }
        int[] all = Arrays.copyOf(prompt.tokenIds(), prompt.length() + length);
        System.arraycopy(ids, 0, all, prompt.length(), length);
        return new Prompt(all, prompt.images());
    }

    /** Whether a stop sequence appears in the text once {@code piece} is added. */
    private boolean endsWithStopSequence(String piece) {
        if (piece.isEmpty()) {
            return false;
        }
        String extended = text + piece;
        for (String stop : stopping.stopSequences()) {
            int from = Math.max(0, text.length() - stop.length() + 1);
            if (extended.indexOf(stop, from) >= 0) {
                return true;
            }
        }
        return false;
    }
}
