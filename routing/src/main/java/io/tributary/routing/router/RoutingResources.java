package io.tributary.routing.router;

import io.tributary.routing.mixing.Weights;

import java.util.Arrays;

/**
 * The router artefacts a mixture was shipped with, shared by every router built from them.
 *
 * @param expertCount        K
 * @param clusters           centroids, global mean and priors; {@code null} when the mixture has none
 * @param classifier         the learned router's classifier; {@code null} when the mixture has none
 * @param features           the router's feature extractor ({@link FeatureExtractor#NONE} without one)
 * @param defaultTemperature T when a request names none
 */
public record RoutingResources(
        int expertCount,
        ClusterModel clusters,
        Classifier classifier,
        FeatureExtractor features,
        double defaultTemperature) {

    public RoutingResources {
        if (clusters != null && clusters.clusters() != expertCount) {
            throw new IllegalArgumentException(clusters.clusters() + " centroids for " + expertCount + " experts");
        }
        if (classifier != null && classifier.outputs() != expertCount) {
            throw new IllegalArgumentException(
                    "the classifier has " + classifier.outputs() + " outputs for " + expertCount + " experts");
        }
        if (clusters != null && classifier != null && classifier.inputDimension() != clusters.dimension()) {
            throw new IllegalArgumentException("the classifier takes features of dimension "
                    + classifier.inputDimension() + " but the centroids have " + clusters.dimension());
        }
        if (!(defaultTemperature > 0) || !Double.isFinite(defaultTemperature)) {
            throw new IllegalArgumentException("temperature must be positive and finite, got " + defaultTemperature);
        }
    }

    /** Only uniform and fixed routing: no artefacts. */
    public static RoutingResources none(int expertCount) {
        return new RoutingResources(expertCount, null, null, FeatureExtractor.NONE, 1.0);
    }

    /** The clusters' priors, uniform without clusters. */
    public double[] priors() {
        if (clusters != null) {
            return clusters.priors();
        }
        double[] uniform = new double[expertCount];
        Arrays.fill(uniform, 1.0);
        return Weights.normalize(uniform);
    }
}
