package io.tributary.routing.mixing;

import java.util.Arrays;

/** Validation of expert weights: every router's output passes through here before mixing. */
public final class Weights {

    private Weights() {
    }

    /**
     * Returns the weights scaled to sum to 1.
     *
     * @throws IllegalArgumentException naming the offending entry when a weight is negative or not finite,
     *                                  or when all weights are zero
     */
    public static double[] normalize(double[] weights) {
        if (weights.length == 0) {
            throw new IllegalArgumentException("no weights");
        }
        double sum = 0;
        for (int k = 0; k < weights.length; k++) {
            double w = weights[k];
            if (!Double.isFinite(w)) {
                throw new IllegalArgumentException("weight " + k + " is not finite: " + w);
            }
            if (w < 0) {
                throw new IllegalArgumentException("weight " + k + " is negative: " + w);
            }
            sum += w;
        }
        if (sum <= 0) {
            throw new IllegalArgumentException("all weights are zero: " + Arrays.toString(weights));
        }
        double[] normalized = new double[weights.length];
        for (int k = 0; k < weights.length; k++) {
            normalized[k] = weights[k] / sum;
        }
        return normalized;
    }

    /** One-hot weights selecting expert {@code k} of {@code count}. */
    public static double[] oneHot(int count, int k) {
        double[] weights = new double[count];
        weights[k] = 1;
        return weights;
    }
}
