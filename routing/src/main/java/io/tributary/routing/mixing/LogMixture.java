package io.tributary.routing.mixing;

/**
 * The heart of a decentralized model: {@code p(x) = Σ_k w_k · p_k(x)}, computed in log space as
 * {@code log p(x) = logsumexp_k(log w_k + log p_k(x))}.
 *
 * <p>Probabilities are mixed, never logits: averaging logits would be a product of experts, a different
 * model that no expert was trained to be part of.
 */
public final class LogMixture {

    private LogMixture() {}

    /**
     * Mixes the experts' next-token log-probabilities.
     *
     * @param weights  normalized weights (see {@link Weights#normalize}); an expert with weight 0 is ignored
     *                 and its row may be {@code null} (it was not run)
     * @param logProbs one row per expert, each of the same length
     * @return the mixture's log-probabilities, a new array
     */
    public static float[] mix(double[] weights, float[][] logProbs) {
        if (weights.length != logProbs.length) {
            throw new IllegalArgumentException(weights.length + " weights for " + logProbs.length + " experts");
        }
        int[] active = activeExperts(weights);
        if (active.length == 1) {
            // One-hot: the mixture is that expert, bit for bit.
            return logProbs[active[0]].clone();
        }
        int vocabulary = logProbs[active[0]].length;
        double[] logWeights = new double[active.length];
        for (int i = 0; i < active.length; i++) {
            logWeights[i] = Math.log(weights[active[i]]);
            if (logProbs[active[i]].length != vocabulary) {
                throw new IllegalArgumentException("expert " + active[i] + " returned " + logProbs[active[i]].length
                        + " log-probs, expected " + vocabulary);
            }
        }
        float[] mixed = new float[vocabulary];
        double[] terms = new double[active.length];
        for (int x = 0; x < vocabulary; x++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < active.length; i++) {
                terms[i] = logWeights[i] + logProbs[active[i]][x];
                max = Math.max(max, terms[i]);
            }
            if (max == Double.NEGATIVE_INFINITY) {
                mixed[x] = Float.NEGATIVE_INFINITY; // no expert gives this token any mass
                continue;
            }
            double sum = 0;
            for (double term : terms) {
                sum += Math.exp(term - max);
            }
            mixed[x] = (float) (max + Math.log(sum));
        }
        return mixed;
    }

    /**
     * An expert's distribution restricted to the first {@code validTokens} ids and renormalized: exactly what the
     * expert would give with the logits of the other ids masked to {@code -∞} before its softmax. Used for
     * {@code lm_head} rows that pad the vocabulary beyond the tokenizer.
     */
    public static float[] restrict(float[] logProbs, int validTokens) {
        if (validTokens >= logProbs.length) {
            return logProbs;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int x = 0; x < validTokens; x++) {
            max = Math.max(max, logProbs[x]);
        }
        double sum = 0;
        for (int x = 0; x < validTokens; x++) {
            sum += Math.exp(logProbs[x] - max);
        }
        float logZ = (float) (max + Math.log(sum));
        float[] restricted = new float[logProbs.length];
        for (int x = 0; x < logProbs.length; x++) {
            restricted[x] = x < validTokens ? logProbs[x] - logZ : Float.NEGATIVE_INFINITY;
        }
        return restricted;
    }

    private static int[] activeExperts(double[] weights) {
        int count = 0;
        for (double w : weights) {
            if (w > 0) {
                count++;
            }
        }
        if (count == 0) {
            throw new IllegalArgumentException("no expert has a positive weight");
        }
        int[] active = new int[count];
        for (int k = 0, i = 0; k < weights.length; k++) {
            if (weights[k] > 0) {
                active[i++] = k;
            }
        }
        return active;
    }
}
