package io.tributary.routing.router;

import io.tributary.routing.mixing.Weights;

import java.util.Optional;

/**
 * Routes with a trained classifier over the router feature: {@code w = softmax(classifier(f))}, then the
 * selection (soft by default, or hard / top-k). A text-only prompt falls back to Bayes' rule on the prompt.
 */
public final class LearnedRouter implements Router {

    private final Classifier classifier;
    private final FeatureExtractor features;
    private final double[] priors;
    private final Selection selection;

    public LearnedRouter(Classifier classifier, FeatureExtractor features, double[] priors, Selection selection) {
        if (priors.length != classifier.outputs()) {
            throw new IllegalArgumentException(
                    priors.length + " priors for a classifier of " + classifier.outputs() + " outputs");
        }
        this.classifier = classifier;
        this.features = features;
        this.priors = Weights.normalize(priors);
        this.selection = selection;
    }

    @Override
    public String mode() {
        return "learned";
    }

    @Override
    public RoutingSession start(RoutingContext context) {
        if (context.expertCount() != classifier.outputs()) {
            throw new IllegalArgumentException("the classifier has " + classifier.outputs()
                    + " outputs for a mixture of " + context.expertCount() + " experts");
        }
        Optional<float[]> feature = features.extract(context.prompt());
        if (feature.isEmpty()) {
            return new PromptPosteriorSession(priors, selection);
        }
        double[] weights = selection.apply(Weights.softmax(classifier.logits(feature.get())));
        return weights::clone;
    }
}
