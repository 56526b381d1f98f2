package io.tributary.routing.router;

import java.util.List;
import java.util.Locale;

/**
 * The registry of routing modes: the one place that turns a mode name from a manifest or a request into a
 * router. Explicit on purpose: no reflection, no service loading.
 */
public final class Routers {

    /** Every mode this registry knows. */
    public static final List<String> MODES = List.of("uniform", "fixed");

    private Routers() {
    }

    /**
     * @param mode        a routing mode name, case-insensitive
     * @param weights     the weights of {@code fixed}; must be absent for other modes
     * @param expertCount the number of experts in the mixture
     * @throws IllegalArgumentException naming the problem: an unknown mode, a wrong number of weights, ...
     */
    public static Router create(String mode, List<Double> weights, int expertCount) {
        String normalized = mode == null ? "uniform" : mode.toLowerCase(Locale.ROOT);
        switch (normalized) {
            case "uniform" -> {
                requireNoWeights(normalized, weights);
                return new UniformRouter();
            }
            case "fixed" -> {
                if (weights == null || weights.size() != expertCount) {
                    throw new IllegalArgumentException("routing mode 'fixed' needs one weight per expert: got "
                            + (weights == null ? 0 : weights.size()) + " for " + expertCount + " experts");
                }
                double[] values = new double[weights.size()];
                for (int k = 0; k < values.length; k++) {
                    if (weights.get(k) == null) {
                        throw new IllegalArgumentException("weight " + k + " is missing");
                    }
                    values[k] = weights.get(k);
                }
                return new FixedRouter(values);
            }
            default -> throw new IllegalArgumentException("unknown routing mode '" + mode + "'; known modes: "
                    + String.join(", ", MODES));
        }
    }

    private static void requireNoWeights(String mode, List<Double> weights) {
        if (weights != null && !weights.isEmpty()) {
            throw new IllegalArgumentException("routing mode '" + mode + "' takes no weights");
        }
    }
}
