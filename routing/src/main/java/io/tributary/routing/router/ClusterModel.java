package io.tributary.routing.router;

import java.util.Arrays;

/**
 * What the data was clustered into: centroids in the router's feature space, the global mean the features were
 * centred on, and the clusters' priors π_k (their share of the training data). Usually one centroid per expert; after
 * the paper's two-stage clustering, many fine centroids, each owned by one expert, and an expert scores the cosine of
 * its closest fine centroid, so that the hard choice is the owner of the nearest fine centroid, as the paper routes.
 *
 * @param centroids        [C][d]
 * @param globalMean       [d]
 * @param priors           [K], non-negative, summing to 1
 * @param owners           [C]: the expert of each centroid, every expert owning at least one
 * @param normalizeFeature whether a feature is L2-normalised before the mean is subtracted, as the paper's features
 *                         are stored; with a zero mean it changes no cosine
 */
public record ClusterModel(
        float[][] centroids, float[] globalMean, double[] priors, int[] owners, boolean normalizeFeature) {

    /** One centroid per expert, features taken as they come. */
    public ClusterModel(float[][] centroids, float[] globalMean, double[] priors) {
        this(centroids, globalMean, priors, identity(centroids.length, priors.length), false);
    }

    public ClusterModel {
        if (centroids.length == 0) {
            throw new IllegalArgumentException("no centroids");
        }
        if (owners.length != centroids.length) {
            throw new IllegalArgumentException(owners.length + " owners for " + centroids.length + " centroids");
        }
        boolean[] owning = new boolean[priors.length];
        for (int owner : owners) {
            if (owner < 0 || owner >= priors.length) {
                throw new IllegalArgumentException(
                        "a centroid's expert " + owner + " is outside 0.." + (priors.length - 1));
            }
            owning[owner] = true;
        }
        for (int k = 0; k < owning.length; k++) {
            if (!owning[k]) {
                throw new IllegalArgumentException("expert " + k + " owns no centroid");
            }
        }
        owners = owners.clone();
        int dimension = globalMean.length;
        for (int k = 0; k < centroids.length; k++) {
            if (centroids[k].length != dimension) {
                throw new IllegalArgumentException("centroid " + k + " has dimension " + centroids[k].length
                        + " but the global mean has " + dimension);
            }
            requireFinite(centroids[k], "centroid " + k);
        }
        requireFinite(globalMean, "the global mean");
        priors = io.tributary.routing.mixing.Weights.normalize(priors);
        centroids = Arrays.stream(centroids).map(float[]::clone).toArray(float[][]::new);
        globalMean = globalMean.clone();
    }

    /** K: the number of experts the centroids route to. */
    public int clusters() {
        return priors.length;
    }

    @Override
    public int[] owners() {
        return owners.clone();
    }

    public int dimension() {
        return globalMean.length;
    }

    /**
     * {@code cos(f − μ, c_k)} for every cluster k: the paper's routing score (f L2-normalised first when the model
     * says so); with several centroids per expert, the highest of its centroids'.
     */
    public double[] cosineScores(float[] feature) {
        if (feature.length != dimension()) {
            throw new IllegalArgumentException(
                    "router feature has dimension " + feature.length + " but the centroids have " + dimension());
        }
        double scale = 1;
        if (normalizeFeature) {
            double norm = 0;
            for (float value : feature) {
                norm += (double) value * value;
            }
            scale = norm == 0 ? 1 : 1 / Math.sqrt(norm);
        }
        double[] centred = new double[feature.length];
        double centredNorm = 0;
        for (int i = 0; i < feature.length; i++) {
            centred[i] = feature[i] * scale - globalMean[i]; // in double: float subtraction rounds
            centredNorm += centred[i] * centred[i];
        }
        double[] scores = new double[clusters()];
        java.util.Arrays.fill(scores, Double.NEGATIVE_INFINITY);
        for (int k = 0; k < centroids.length; k++) {
            double dot = 0;
            double norm = 0;
            for (int i = 0; i < centred.length; i++) {
                dot += centred[i] * centroids[k][i];
                norm += (double) centroids[k][i] * centroids[k][i];
            }
            double denominator = Math.sqrt(centredNorm) * Math.sqrt(norm);
            double cosine = denominator == 0 ? 0 : dot / denominator; // a zero vector is equally close to all
            scores[owners[k]] = Math.max(scores[owners[k]], cosine);
        }
        return scores;
    }

    @Override
    public double[] priors() {
        return priors.clone();
    }

    private static int[] identity(int count, int priors) {
        if (priors != count) {
            throw new IllegalArgumentException(priors + " priors for " + count + " clusters");
        }
        int[] owners = new int[count];
        for (int k = 0; k < count; k++) {
            owners[k] = k;
        }
        return owners;
    }

    private static void requireFinite(float[] values, String what) {
        for (float value : values) {
            if (!Float.isFinite(value)) {
                throw new IllegalArgumentException(what + " contains a non-finite value: " + value);
            }
        }
    }
}
