package io.tributary.routing.router;

import io.tributary.routing.mixing.Weights;

/**
 * Routing for a prompt the image router cannot see (text only): Bayes' rule on the prompt itself,
 * {@code w_k ∝ π_k · p_k(prompt)}, with each expert's own likelihood of the prompt, then the router's selection
 * (hard, soft, top-k). The weights are then fixed for the whole generation, so hard and top-k still decode with
 * only the chosen experts; the other experts only read the prompt once.
 */
final class PromptPosteriorSession implements RoutingSession {

    private final double[] priors;
    private final Selection selection;
    private double[] weights;

    PromptPosteriorSession(double[] priors, Selection selection) {
        this.priors = priors.clone();
        this.selection = selection;
    }

    @Override
    public boolean needsPromptLikelihood() {
        return true;
    }

    @Override
    public void observePrompt(double[] promptLogLikelihoods) {
        weights = selection.apply(posterior(priors, promptLogLikelihoods));
    }

    @Override
    public double[] weights() {
        if (weights == null) {
            throw new IllegalStateException("the prompt's likelihoods were never observed");
        }
        return weights.clone();
    }

    /** {@code softmax_k(log π_k + logLikelihood_k)}: experts with prior 0 keep weight 0. */
    static double[] posterior(double[] priors, double[] logLikelihoods) {
        if (priors.length != logLikelihoods.length) {
            throw new IllegalArgumentException(
                    logLikelihoods.length + " likelihoods for " + priors.length + " experts");
        }
        double[] logits = new double[priors.length];
        for (int k = 0; k < priors.length; k++) {
            logits[k] = priors[k] == 0 ? Double.NEGATIVE_INFINITY : Math.log(priors[k]) + logLikelihoods[k];
        }
        return Weights.softmax(logits);
    }
}
