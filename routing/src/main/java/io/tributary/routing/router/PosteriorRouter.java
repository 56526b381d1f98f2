package io.tributary.routing.router;

import io.tributary.routing.mixing.Weights;

import java.util.Arrays;
import java.util.Optional;
import java.util.function.Function;

/**
 * Bayes' rule, token by token (BTM's {@code updating_prior}, and the exact decomposition of the paper):
 * {@code w_k(t) ∝ π_k · p_k(prompt | images) · Π_{s<t} p_k(x_s | x_<s, images)}, kept in log space. The prior π
 * comes from the image router when the prompt has images, else from the clusters' priors. Every expert with a
 * positive prior runs every step: its likelihood is what the posterior learns from.
 */
public final class PosteriorRouter implements Router {

    private final Function<RoutingContext, Optional<double[]>> imagePrior;
    private final double[] priors;

    /**
     * @param imagePrior the image router's soft weights for a request, empty for a text-only prompt
     * @param priors     the clusters' priors, used when there is no image
     */
    public PosteriorRouter(Function<RoutingContext, Optional<double[]>> imagePrior, double[] priors) {
        this.imagePrior = imagePrior;
        this.priors = Weights.normalize(priors);
    }

    /** A posterior whose prior is the centroid router's soft weights. */
    public static PosteriorRouter overCentroids(
            CentroidRouter centroids, ClusterModel clusters, FeatureExtractor features) {
        return new PosteriorRouter(
                context -> features.extract(context.prompt()).map(centroids::softWeights), clusters.priors());
    }

    @Override
    public String mode() {
        return "posterior";
    }

    @Override
    public RoutingSession start(RoutingContext context) {
        if (context.expertCount() != priors.length) {
            throw new IllegalArgumentException(
                    priors.length + " priors for a mixture of " + context.expertCount() + " experts");
        }
        double[] prior = imagePrior.apply(context).orElse(priors);
        return new Session(prior);
    }

    private static final class Session implements RoutingSession {
        private final double[] logPosterior;

        Session(double[] prior) {
            logPosterior = Arrays.stream(prior).map(Math::log).toArray();
        }

        @Override
        public boolean needsPromptLikelihood() {
            return true;
        }

        @Override
        public void observePrompt(double[] promptLogLikelihoods) {
            accumulate(promptLogLikelihoods);
        }

        @Override
        public double[] weights() {
            return Weights.softmax(logPosterior);
        }

        @Override
        public void observe(int tokenId, double[] expertLogProbs) {
            accumulate(expertLogProbs);
        }

        private void accumulate(double[] logLikelihoods) {
            for (int k = 0; k < logPosterior.length; k++) {
                if (logPosterior[k] != Double.NEGATIVE_INFINITY) { // experts ruled out stay out (and unrun)
                    if (Double.isNaN(logLikelihoods[k])) {
                        throw new IllegalStateException("expert " + k + " has a prior but was not run");
                    }
                    logPosterior[k] += logLikelihoods[k];
                }
            }
        }
    }
}
