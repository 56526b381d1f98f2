package io.tributary.routing.router;

import io.tributary.routing.mixing.Weights;

import java.util.Optional;

/**
 * The paper's router: an image's router feature f is compared with each cluster's centroid,
 * {@code s_k = cos(f − μ, c_k)}, and the weights are {@code softmax_k(T · s_k)} (soft), its argmax (hard, the
 * paper's default) or its k largest renormalized (top-k, as c-BTM). The weights hold for the whole generation.
 * A text-only prompt falls back to Bayes' rule on the prompt ({@link PromptPosteriorSession}).
 */
public final class CentroidRouter implements Router {

    private final ClusterModel clusters;
    private final FeatureExtractor features;
    private final double temperature;
    private final Selection selection;

    public CentroidRouter(ClusterModel clusters, FeatureExtractor features, double temperature, Selection selection) {
        if (!isValidTemperature(temperature)) {
            throw new IllegalArgumentException("temperature must be positive and finite, got " + temperature);
        }
        this.clusters = clusters;
        this.features = features;
        this.temperature = temperature;
        this.selection = selection;
    }

    /** A temperature T for {@code softmax(T · cos)}: positive and finite. */
    static boolean isValidTemperature(double temperature) {
        return temperature > 0 && Double.isFinite(temperature);
    }

    @Override
    public String mode() {
        return selection.modeName();
    }

    @Override
    public RoutingSession start(RoutingContext context) {
        if (context.expertCount() != clusters.clusters()) {
            throw new IllegalArgumentException(
                    clusters.clusters() + " centroids for a mixture of " + context.expertCount() + " experts");
        }
        Optional<float[]> feature = features.extract(context.prompt());
        if (feature.isEmpty()) {
            return new PromptPosteriorSession(clusters.priors(), selection);
        }
        double[] weights = selection.apply(softWeights(feature.get()));
        return weights::clone;
    }

    /** {@code softmax_k(T · cos(f − μ, c_k))}: also the image prior of the posterior router. */
    double[] softWeights(float[] feature) {
        double[] scores = clusters.cosineScores(feature);
        for (int k = 0; k < scores.length; k++) {
            scores[k] *= temperature;
        }
        return Weights.softmax(scores);
    }
}
