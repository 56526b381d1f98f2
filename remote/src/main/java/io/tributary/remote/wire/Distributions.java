package io.tributary.remote.wire;

import io.tributary.remote.proto.Dense;
import io.tributary.remote.proto.Distribution;
import io.tributary.remote.proto.Sparse;

import java.util.Arrays;

/**
 * Next-token distributions on the wire. Exact: every token's log-probability, 4 bytes a token. Compact: the most
 * likely tokens, taken until they cover at least {@code 1 - ε} of the mass, plus the mass {@code r ≤ ε} left over,
 * which the receiver spreads uniformly over the other tokens.
 *
 * <p>The bound: the compact distribution q of an expert's p differs from it by total variation
 * {@code TV(p, q) = ½ Σ_x |p(x) − q(x)| ≤ r ≤ ε}, since q equals p on the kept tokens and the rest of both
 * distributions holds mass r each. Mixing is linear in the distributions, so the mixed distribution
 * {@code Σ_k w_k q_k} differs from the exact {@code Σ_k w_k p_k} by at most {@code Σ_k w_k TV(p_k, q_k) ≤ ε} (up
 * to float rounding, about 1e-6). Greedy decoding can only change where the mixture's two best tokens are within
 * 2ε of each other, so exact mode stays the default.
 */
public final class Distributions {

    private Distributions() {}

    /**
     * @param epsilon 0 for the exact form, otherwise the mass the compact form may leave out, in (0, 1); a
     *                distribution too flat for the compact form to be smaller travels exact
     */
    public static Distribution encode(float[] logProbs, double epsilon) {
        if (epsilon > 0) {
            Sparse sparse = compact(logProbs, epsilon);
            // A flat distribution needs most tokens to cover 1 − ε, at 5-9 bytes each: then exact is also smaller.
            if (sparse.getSerializedSize() < DENSE_BYTES_PER_TOKEN * (long) logProbs.length) {
                return Distribution.newBuilder().setSparse(sparse).build();
            }
        }
        Dense.Builder dense = Dense.newBuilder();
        for (float logProb : logProbs) {
            dense.addLogProbs(logProb);
        }
        return Distribution.newBuilder().setDense(dense).build();
    }

    private static final int DENSE_BYTES_PER_TOKEN = 4;

    /** The distribution as {@code vocabularySize} natural-log probabilities. */
    public static float[] decode(Distribution distribution, int vocabularySize) {
        if (distribution.hasDense()) {
            Dense dense = distribution.getDense();
            if (dense.getLogProbsCount() != vocabularySize) {
                throw new IllegalStateException("a distribution of " + dense.getLogProbsCount() + " tokens for a "
                        + "vocabulary of " + vocabularySize);
            }
            float[] logProbs = new float[vocabularySize];
            for (int i = 0; i < vocabularySize; i++) {
                logProbs[i] = dense.getLogProbs(i);
            }
            return logProbs;
        }
        if (!distribution.hasSparse()) {
            throw new IllegalStateException("an empty distribution");
        }
        Sparse sparse = distribution.getSparse();
        int kept = sparse.getTokenIdsCount();
        if (kept != sparse.getLogProbsCount() || kept > vocabularySize) {
            throw new IllegalStateException("a compact distribution of " + kept + " tokens and "
                    + sparse.getLogProbsCount() + " log-probabilities for a vocabulary of " + vocabularySize);
        }
        int others = vocabularySize - kept;
        float tail = others == 0 || sparse.getTailProbability() <= 0
                ? Float.NEGATIVE_INFINITY
                : (float) Math.log(sparse.getTailProbability() / others);
        float[] logProbs = new float[vocabularySize];
        Arrays.fill(logProbs, tail);
        for (int i = 0; i < kept; i++) {
            int token = sparse.getTokenIds(i);
            if (token < 0 || token >= vocabularySize) {
                throw new IllegalStateException("token " + token + " is outside the vocabulary of " + vocabularySize);
            }
            logProbs[token] = sparse.getLogProbs(i);
        }
        return logProbs;
    }

    private static Sparse compact(float[] logProbs, double epsilon) {
        // Tokens below ε / 2V hold at most ε / 2 together: only the others can be needed, and only they are sorted.
        double floor = Math.log(epsilon / (2.0 * logProbs.length));
        long[] candidates = new long[logProbs.length];
        int count = 0;
        for (int token = 0; token < logProbs.length; token++) {
            if (logProbs[token] >= floor) {
                // Sorting the negated, order-preserving bits of the log-prob puts the most likely first.
                candidates[count++] = ((long) ~sortableBits(logProbs[token]) << 32) | token;
            }
        }
        Arrays.sort(candidates, 0, count);
        Sparse.Builder sparse = Sparse.newBuilder();
        double keptMass = 0;
        for (int i = 0; i < count && keptMass < 1 - epsilon; i++) {
            int token = (int) candidates[i];
            sparse.addTokenIds(token).addLogProbs(logProbs[token]);
            keptMass += Math.exp(logProbs[token]);
        }
        return sparse.setTailProbability(Math.max(0, 1 - keptMass)).build();
    }

    /** The float's bits as an int that orders like the float itself. */
    private static int sortableBits(float value) {
        int bits = Float.floatToIntBits(value);
        return bits >= 0 ? bits : bits ^ 0x7fffffff;
    }
}
