package io.tributary.routing.router;

import java.util.Arrays;

/**
 * What the data was clustered into: one centroid per expert in the router's feature space, the global mean the
 * features were centred on, and the clusters' priors π_k (their share of the training data).
 *
 * @param centroids  [K][d]
 * @param globalMean [d]
 * @param priors     [K], non-negative, summing to 1
 */
public record ClusterModel(float[][] centroids, float[] globalMean, double[] priors) {

    public ClusterModel {
        if (centroids.length == 0) {
            throw new IllegalArgumentException("no centroids");
        }
        int dimension = globalMean.length;
        for (int k = 0; k < centroids.length; k++) {
            if (centroids[k].length != dimension) {
                throw new IllegalArgumentException("centroid " + k + " has dimension " + centroids[k].length
                        + " but the global mean has " + dimension);
            }
            requireFinite(centroids[k], "centroid " + k);
        }
        requireFinite(globalMean, "the global mean");
        if (priors.length != centroids.length) {
            throw new IllegalArgumentException(priors.length + " priors for " + centroids.length + " clusters");
        }
        priors = io.tributary.routing.mixing.Weights.normalize(priors);
        centroids = Arrays.stream(centroids).map(float[]::clone).toArray(float[][]::new);
        globalMean = globalMean.clone();
    }

    public int clusters() {
        return centroids.length;
    }

    public int dimension() {
        return globalMean.length;
    }

    /** {@code cos(f − μ, c_k)} for every cluster k: the paper's routing score. */
    public double[] cosineScores(float[] feature) {
        if (feature.length != dimension()) {
            throw new IllegalArgumentException("router feature has dimension " + feature.length
                    + " but the centroids have " + dimension());
        }
        double[] centred = new double[feature.length];
        double centredNorm = 0;
        for (int i = 0; i < feature.length; i++) {
            centred[i] = (double) feature[i] - globalMean[i]; // in double: float subtraction rounds
            centredNorm += centred[i] * centred[i];
        }
        double[] scores = new double[centroids.length];
        for (int k = 0; k < centroids.length; k++) {
            double dot = 0;
            double norm = 0;
            for (int i = 0; i < centred.length; i++) {
                dot += centred[i] * centroids[k][i];
                norm += (double) centroids[k][i] * centroids[k][i];
            }
            double denominator = Math.sqrt(centredNorm) * Math.sqrt(norm);
            scores[k] = denominator == 0 ? 0 : dot / denominator; // a zero vector is equally close to all
        }
        return scores;
    }

    @Override
    public double[] priors() {
        return priors.clone();
    }

    private static void requireFinite(float[] values, String what) {
        for (float value : values) {
            if (!Float.isFinite(value)) {
                throw new IllegalArgumentException(what + " contains a non-finite value: " + value);
            }
        }
    }
}
