package io.tributary.routing.router;

import io.tributary.routing.mixing.Weights;

/**
 * The same weights for every token of every request: BTM's {@code cached_prior}, or weights an operator or a
 * request sets by hand. Experts with weight 0 are never run.
 */
public final class FixedRouter implements Router {

    private final double[] weights;

    public FixedRouter(double[] weights) {
        this.weights = Weights.normalize(weights);
    }

    @Override
    public String mode() {
        return "fixed";
    }

    @Override
    public RoutingSession start(RoutingContext context) {
        if (context.expertCount() != weights.length) {
            throw new IllegalArgumentException(
                    weights.length + " fixed weights for a mixture of " + context.expertCount() + " experts");
        }
        return weights::clone;
    }

    public double[] weights() {
        return weights.clone();
    }
}
