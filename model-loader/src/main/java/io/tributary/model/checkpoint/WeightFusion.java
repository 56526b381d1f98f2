package io.tributary.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

/**
 * Load-time rewrites of checkpoint weights that save work on every step. Each consumes its inputs (closes them),
 * so a fused copy never sits beside the originals.
 */
public final class WeightFusion {

    private WeightFusion() {
    }

    /** The q projection's rows (weight and bias) carry the attention scale, saving a multiply per step. */
    public static NDArray scaled(NDArray q, float scale) {
        try (q) {
            return q.mul(scale);
        }
    }

    /** Stacks projections that read the same input into one matrix (or one bias vector) along rows. */
    public static NDArray fuseRows(NDArray... parts) {
        try (NDList list = new NDList(parts)) {
            return NDArrays.concat(list, 0);
        }
    }
}
