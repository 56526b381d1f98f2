package io.tributary.routing.router;

import io.tributary.routing.mixing.Weights;
import io.tributary.routing.refusal.RoutingRefusedException;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The registry of routing modes: the one place that turns a mode from a manifest or a request into a router,
 * over the mixture's artefacts. Explicit on purpose: no reflection, no service loading.
 */
public final class Routers {

    /** Every mode this registry knows. */
    public static final List<String> MODES =
            List.of("uniform", "fixed", "hard", "soft", "top-k", "posterior", "learned");

    private final RoutingResources resources;

    public Routers(RoutingResources resources) {
        this.resources = resources;
    }

    /**
     * The modes {@link #create} can build over this mixture's artefacts, in {@link #MODES} order: uniform, fixed
     * and posterior always; hard, soft and top-k with centroids; learned with a classifier.
     */
    public List<String> availableModes() {
        return MODES.stream()
                .filter(mode -> switch (mode) {
                    case "hard", "soft", "top-k" -> resources.clusters() != null;
                    case "learned" -> resources.classifier() != null;
                    default -> true;
                })
                .toList();
    }

    /**
     * Checks every parameter a client may give before building, so that no router's own precondition is what
     * refuses a request.
     *
     * @throws RoutingRefusedException naming the problem: an unknown mode, a missing artefact, a parameter the mode
     *                                 does not take, a wrong number of weights, a temperature out of range, ...
     */
    public Router create(RouterSpec spec) {
        String mode = spec.mode() == null ? "uniform" : spec.mode().toLowerCase(Locale.ROOT);
        switch (mode) {
            case "uniform" -> {
                refuse(mode, spec.weights() != null, "weights");
                refuse(mode, spec.temperature() != null, "temperature");
                refuse(mode, spec.topK() != null, "top_k");
                return new UniformRouter();
            }
            case "fixed" -> {
                refuse(mode, spec.temperature() != null, "temperature");
                refuse(mode, spec.topK() != null, "top_k");
                return new FixedRouter(fixedWeights(spec.weights()));
            }
            case "hard", "soft", "top-k" -> {
                refuse(mode, spec.weights() != null, "weights");
                refuse(mode, !mode.equals("top-k") && spec.topK() != null, "top_k");
                refuse(mode, mode.equals("hard") && spec.temperature() != null, "temperature");
                return centroidRouter(mode, spec);
            }
            case "posterior" -> {
                refuse(mode, spec.weights() != null, "weights");
                refuse(mode, spec.topK() != null, "top_k");
                if (resources.clusters() == null) {
                    if (spec.temperature() != null) {
                        throw new RoutingRefusedException("routing mode 'posterior' takes a temperature only for its "
                                + "image prior, and this mixture has no router centroids");
                    }
                    return new PosteriorRouter(context -> Optional.empty(), resources.priors());
                }
                CentroidRouter prior = centroidRouter("soft", spec);
                return PosteriorRouter.overCentroids(prior, resources.clusters(), resources.features());
            }
            case "learned" -> {
                refuse(mode, spec.weights() != null, "weights");
                refuse(mode, spec.temperature() != null, "temperature");
                if (resources.classifier() == null) {
                    throw new RoutingRefusedException(
                            "routing mode 'learned' needs a router classifier, and this " + "mixture has none");
                }
                Selection selection = spec.topK() == null ? Selection.SOFT : Selection.topK(checkTopK(spec.topK()));
                return new LearnedRouter(resources.classifier(), resources.features(), resources.priors(), selection);
            }
            default ->
                throw new RoutingRefusedException(
                        "unknown routing mode '" + spec.mode() + "'; known modes: " + String.join(", ", MODES));
        }
    }

    private CentroidRouter centroidRouter(String mode, RouterSpec spec) {
        if (resources.clusters() == null) {
            throw new RoutingRefusedException(
                    "routing mode '" + mode + "' needs router centroids, and this mixture " + "has none");
        }
        double temperature = spec.temperature() != null ? spec.temperature() : resources.defaultTemperature();
        if (!CentroidRouter.isValidTemperature(temperature)) {
            throw new RoutingRefusedException("temperature must be positive and finite, got " + temperature);
        }
        Selection selection = switch (mode) {
            case "hard" -> Selection.HARD;
            case "soft" -> Selection.SOFT;
            default -> {
                if (spec.topK() == null) {
                    throw new RoutingRefusedException("routing mode 'top-k' needs top_k");
                }
                yield Selection.topK(checkTopK(spec.topK()));
            }
        };
        return new CentroidRouter(resources.clusters(), resources.features(), temperature, selection);
    }

    private int checkTopK(int k) {
        if (k < 1 || k > resources.expertCount()) {
            throw new RoutingRefusedException("top_k must be between 1 and " + resources.expertCount() + ", got " + k);
        }
        return k;
    }

    private double[] fixedWeights(List<Double> weights) {
        int count = resources.expertCount();
        if (weights == null || weights.size() != count) {
            throw new RoutingRefusedException("routing mode 'fixed' needs one weight per expert: got "
                    + (weights == null ? 0 : weights.size()) + " for " + count + " experts");
        }
        double[] values = new double[count];
        for (int k = 0; k < count; k++) {
            if (weights.get(k) == null) {
                throw new RoutingRefusedException("weight " + k + " is missing");
            }
            values[k] = weights.get(k);
        }
        String problem = Weights.problem(values);
        if (problem != null) {
            throw new RoutingRefusedException(problem);
        }
        return values;
    }

    private static void refuse(String mode, boolean given, String parameter) {
        if (given) {
            throw new RoutingRefusedException("routing mode '" + mode + "' takes no " + parameter);
        }
    }
}
