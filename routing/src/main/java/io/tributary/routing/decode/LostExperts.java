package io.tributary.routing.decode;

import io.tributary.routing.ExpertUnavailableException;

import java.util.ArrayList;
import java.util.List;

/**
 * The experts one generation lost (unreachable, too slow), and the failure policy: a lost expert's weight becomes 0
 * and the others' are renormalised, {@code w'_k = w_k / Σ_{j not lost} w_j}; when the router gave every remaining
 * expert weight 0 (hard routing chose the lost one), the remaining experts share the token uniformly. When every
 * expert is lost the generation fails with {@link AllExpertsLostException}.
 */
final class LostExperts {

    private final boolean[] lost;
    private final List<ExpertUnavailableException> losses = new ArrayList<>();

    LostExperts(int experts) {
        this.lost = new boolean[experts];
    }

    boolean isLost(int k) {
        return lost[k];
    }

    boolean any() {
        return !losses.isEmpty();
    }

    /**
     * Records the loss of expert {@code k}.
     *
     * @throws AllExpertsLostException when it was the last one
     */
    void lose(int k, ExpertUnavailableException failure) {
        if (lost[k]) {
            return;
        }
        lost[k] = true;
        losses.add(failure);
        for (boolean gone : lost) {
            if (!gone) {
                return;
            }
        }
        throw new AllExpertsLostException(losses);
    }

    /** {@code weights} (normalised, one per expert) without the lost experts, renormalised over the others. */
    double[] renormalize(double[] weights) {
        if (!any()) {
            return weights;
        }
        double[] kept = new double[weights.length];
        double sum = 0;
        int remaining = 0;
        for (int k = 0; k < weights.length; k++) {
            if (!lost[k]) {
                kept[k] = weights[k];
                sum += weights[k];
                remaining++;
            }
        }
        for (int k = 0; k < weights.length; k++) {
            if (!lost[k]) {
                kept[k] = sum > 0 ? kept[k] / sum : 1.0 / remaining;
            }
        }
        return kept;
    }
}
