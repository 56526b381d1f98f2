package io.tributary.routing.router;

import java.util.List;

/**
 * A routing choice as a manifest or a request states it. Fields a mode does not use must be absent.
 *
 * @param mode        uniform, fixed, hard, soft, top-k, posterior or learned; {@code null} means uniform
 * @param weights     fixed: one weight per expert
 * @param temperature soft, top-k, posterior: T in {@code softmax(T · cos)}; absent: the mixture's
 * @param topK        top-k: how many experts run; learned: optional, keeps the classifier's k best
 */
public record RouterSpec(String mode, List<Double> weights, Double temperature, Integer topK) {

    public static RouterSpec of(String mode) {
        return new RouterSpec(mode, null, null, null);
    }

    public static RouterSpec fixed(List<Double> weights) {
        return new RouterSpec("fixed", weights, null, null);
    }
}
