package io.tributary.routing.mixing;

import java.util.Arrays;

/** Validation of expert weights: every router's output passes through here before mixing. */
public final class Weights {

    private Weights() {}

    /**
     * Returns the weights scaled to sum to 1.
     *
     * @throws IllegalArgumentException naming the offending entry when a weight is negative or not finite,
     *                                  or when all weights are zero
     */
    public static double[] normalize(double[] weights) {
        String problem = problem(weights);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        double sum = 0;
        for (double w : weights) {
            sum += w;
        }
        double[] normalized = new double[weights.length];
        for (int k = 0; k < weights.length; k++) {
            normalized[k] = weights[k] / sum;
        }
        return normalized;
    }

    /**
     * What makes {@code weights} unusable, naming the offending entry, or {@code null} when they can be normalised:
     * for callers that must refuse weights a client gave rather than fail on them.
     */
    public static String problem(double[] weights) {
        if (weights.length == 0) {
            return "no weights";
        }
        double sum = 0;
        for (int k = 0; k < weights.length; k++) {
            double w = weights[k];
            if (!Double.isFinite(w)) {
                return "weight " + k + " is not finite: " + w;
            }
            if (w < 0) {
                return "weight " + k + " is negative: " + w;
            }
            sum += w;
        }
        return sum > 0 ? null : "all weights are zero: " + Arrays.toString(weights);
    }

    /** {@code softmax(logits)}, computed stably; {@code -∞} logits get weight 0. */
    public static double[] softmax(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double logit : logits) {
            if (Double.isNaN(logit) || logit == Double.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("logits must be finite or -infinity: " + Arrays.toString(logits));
            }
            max = Math.max(max, logit);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("every logit is -infinity");
        }
        double[] weights = new double[logits.length];
        double sum = 0;
        for (int k = 0; k < logits.length; k++) {
            weights[k] = Math.exp(logits[k] - max);
            sum += weights[k];
        }
        for (int k = 0; k < logits.length; k++) {
            weights[k] /= sum;
        }
        return weights;
    }

    /**
     * Keeps the {@code k} largest weights and renormalizes (c-BTM's top-k): the others become exactly 0, so their
     * experts are not run. Ties go to the lower index, so the choice is deterministic.
     */
    public static double[] keepTopK(double[] weights, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("top-k needs k >= 1, got " + k);
        }
        if (k >= weights.length) {
            return normalize(weights);
        }
        Integer[] order = new Integer[weights.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(weights[b], weights[a]));
        double[] kept = new double[weights.length];
        for (int i = 0; i < k; i++) {
            kept[order[i]] = weights[order[i]];
        }
        return normalize(kept);
    }

    /** The index of the largest weight (the lowest index among ties). */
    public static int argmax(double[] values) {
        int best = 0;
        for (int k = 1; k < values.length; k++) {
            if (values[k] > values[best]) {
                best = k;
            }
        }
        return best;
    }

    /** One-hot weights selecting expert {@code k} of {@code count}. */
    public static double[] oneHot(int count, int k) {
        double[] weights = new double[count];
        weights[k] = 1;
        return weights;
    }
}
