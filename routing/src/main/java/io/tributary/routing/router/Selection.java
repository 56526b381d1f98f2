package io.tributary.routing.router;

import io.tributary.routing.mixing.Weights;

/** How a router turns its soft scores into the weights it uses: keep all, keep the best, or keep the k best. */
public record Selection(Kind kind, int k) {

    public enum Kind {
        HARD,
        SOFT,
        TOP_K
    }

    public static final Selection HARD = new Selection(Kind.HARD, 1);
    public static final Selection SOFT = new Selection(Kind.SOFT, 0);

    public Selection {
        if (kind == Kind.TOP_K && k < 1) {
            throw new IllegalArgumentException("top-k routing needs k >= 1, got " + k);
        }
    }

    public static Selection topK(int k) {
        return new Selection(Kind.TOP_K, k);
    }

    /** Applies the selection to normalized weights; the experts it drops get exactly 0 and are not run. */
    public double[] apply(double[] weights) {
        return switch (kind) {
            case HARD -> Weights.oneHot(weights.length, Weights.argmax(weights));
            case SOFT -> weights.clone();
            case TOP_K -> Weights.keepTopK(weights, k);
        };
    }

    /** The routing mode this selection gives its name to. */
    public String modeName() {
        return switch (kind) {
            case HARD -> "hard";
            case SOFT -> "soft";
            case TOP_K -> "top-k";
        };
    }
}
