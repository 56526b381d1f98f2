package io.tributary.tools.fitting;

import java.util.function.DoubleUnaryOperator;

/**
 * The soft router's temperature by maximum mixture likelihood: with s_k(x) the cosine of sample x's image to centroid
 * k and log p_k(x) expert k's log-likelihood of x's response,
 * {@code L(T) = Σ_x log Σ_k softmax_k(T · s(x)) · p_k(x)}, maximised over T in [lower, upper].
 * L need not be unimodal, so a grid brackets the best region and a golden-section search refines inside it.
 *
 * @param cosines        [N][K] s_k(x)
 * @param logLikelihoods [N][K] log p_k(x), natural log
 */
public record TemperatureFit(double[][] cosines, double[][] logLikelihoods) {

    private static final int GRID = 200;
    private static final double GOLDEN = (Math.sqrt(5) - 1) / 2;

    public TemperatureFit {
        if (cosines.length != logLikelihoods.length || cosines.length == 0) {
            throw new IllegalArgumentException("need one row of cosines and of log-likelihoods per sample");
        }
        for (int x = 0; x < cosines.length; x++) {
            if (cosines[x].length != logLikelihoods[x].length) {
                throw new IllegalArgumentException("sample " + x + ": " + cosines[x].length + " cosines but "
                        + logLikelihoods[x].length + " log-likelihoods");
            }
        }
    }

    /** L(T): the log-likelihood of the samples under the soft mixture at temperature T. */
    public double logLikelihood(double temperature) {
        double total = 0;
        for (int x = 0; x < cosines.length; x++) {
            double[] s = cosines[x];
            double[] logP = logLikelihoods[x];
            double[] logits = new double[s.length];
            double[] joint = new double[s.length];
            for (int k = 0; k < s.length; k++) {
                logits[k] = temperature * s[k];
            }
            double normalizer = logSumExp(logits);
            for (int k = 0; k < s.length; k++) {
                joint[k] = logits[k] - normalizer + logP[k];
            }
            total += logSumExp(joint);
        }
        return total;
    }

    /** The log-likelihood of the samples when one expert answers them all. */
    public double singleExpertLogLikelihood(int expert) {
        double total = 0;
        for (double[] logP : logLikelihoods) {
            total += logP[expert];
        }
        return total;
    }

    /** The T in [lower, upper] of highest L, to about 1e-6 of the interval. */
    public double best(double lower, double upper) {
        if (!(lower <= upper)) {
            throw new IllegalArgumentException("empty interval [" + lower + ", " + upper + "]");
        }
        DoubleUnaryOperator loss = t -> -logLikelihood(t);
        double step = (upper - lower) / GRID;
        int bestIndex = 0;
        double bestLoss = Double.POSITIVE_INFINITY;
        for (int i = 0; i <= GRID; i++) {
            double value = loss.applyAsDouble(lower + i * step);
            if (value < bestLoss) {
                bestLoss = value;
                bestIndex = i;
            }
        }
        double a = lower + Math.max(0, bestIndex - 1) * step;
        double b = lower + Math.min(GRID, bestIndex + 1) * step;
        double c = b - GOLDEN * (b - a);
        double d = a + GOLDEN * (b - a);
        double lossC = loss.applyAsDouble(c);
        double lossD = loss.applyAsDouble(d);
        while (b - a > 1e-6 * Math.max(1, upper - lower)) {
            if (lossC < lossD) {
                b = d;
                d = c;
                lossD = lossC;
                c = b - GOLDEN * (b - a);
                lossC = loss.applyAsDouble(c);
            } else {
                a = c;
                c = d;
                lossC = lossD;
                d = a + GOLDEN * (b - a);
                lossD = loss.applyAsDouble(d);
            }
        }
        double refined = (a + b) / 2;
        return loss.applyAsDouble(refined) <= bestLoss ? refined : lower + bestIndex * step;
    }

    static double logSumExp(double[] values) {
        double max = Double.NEGATIVE_INFINITY;
        for (double value : values) {
            max = Math.max(max, value);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return max;
        }
        double sum = 0;
        for (double value : values) {
            sum += Math.exp(value - max);
        }
        return max + Math.log(sum);
    }
}
