package io.tributary.routing.router;

import java.util.Arrays;

/** Every expert weighs 1/K for every token: BTM's {@code uniform_prior}, and the default with no artefacts. */
public final class UniformRouter implements Router {

    @Override
    public String mode() {
        return "uniform";
    }

    @Override
    public RoutingSession start(RoutingContext context) {
        double[] weights = new double[context.expertCount()];
        Arrays.fill(weights, 1.0 / weights.length);
        return weights::clone;
    }
}
