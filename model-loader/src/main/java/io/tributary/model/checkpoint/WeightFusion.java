package io.tributary.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

/** Load-time rewrites of checkpoint weights that save work on every step. */
public final class WeightFusion {

    private WeightFusion() {}

    /**
     * Multiplies the first {@code rows} rows of {@code fused} in place, which must own its memory (a
     * {@link CheckpointTensors#loadRows} result, never a mapped tensor): the q rows of a fused qkv projection (weight
     * or bias) then carry the attention scale, saving a multiply per step.
     */
    public static NDArray scaleLeadingRows(NDArray fused, long rows, float scale) {
        try (NDArray leading = fused.get(new NDIndex().addSliceDim(0, rows))) {
            leading.muli(scale);
        }
        return fused;
    }
}
