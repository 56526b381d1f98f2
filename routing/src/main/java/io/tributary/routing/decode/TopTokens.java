package io.tributary.routing.decode;

import io.tributary.routing.Detokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Picks the most likely tokens of a distribution without sorting the whole vocabulary. */
final class TopTokens {

    private TopTokens() {}

    /** The {@code n} most likely tokens of {@code logProbs}, most likely first; ties go to the lower id. */
    static List<TopToken> of(float[] logProbs, int n, Detokenizer detokenizer) {
        int[] best = indicesOfLargest(logProbs, Math.min(n, logProbs.length));
        List<TopToken> tokens = new ArrayList<>(best.length);
        for (int id : best) {
            tokens.add(new TopToken(id, detokenizer.tokenText(id), logProbs[id], detokenizer.isSpecial(id)));
        }
        return tokens;
    }

    /** Insertion into a short sorted array: n is small (OpenAI allows 20), the vocabulary large. */
    static int[] indicesOfLargest(float[] values, int n) {
        int[] best = new int[n];
        int size = 0;
        for (int i = 0; i < values.length; i++) {
            float value = values[i];
            if (size == n && !(value > values[best[n - 1]])) {
                continue;
            }
            int at = size == n ? n - 1 : size++;
            while (at > 0 && value > values[best[at - 1]]) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = i;
        }
        return size == n ? best : Arrays.copyOf(best, size);
    }
}
