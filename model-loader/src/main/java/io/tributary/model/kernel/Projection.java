package io.tributary.model.kernel;

import ai.djl.ndarray.NDArray;

/**
 * A weight matrix [out, in] applied as torch's {@code F.linear}: {@code x @ w^T (+ b)}. Dense weights are DJL arrays
 * in the activations' type; packed ones (bf16, int8, int4) are multiplied by ATen's kernels through {@link Kernels}.
 */
public sealed interface Projection permits DenseProjection, PackedProjection, SplitProjection {

    /**
     * {@code x @ w^T + bias} for activations x [N, in]; {@code bias} [out] may be null. The result [N, out] belongs
     * to x's manager.
     */
    NDArray apply(NDArray x, NDArray bias);

    /** Output features: the weight's rows. */
    long outFeatures();

    /** Input features: the weight's columns. */
    long inFeatures();

    /** What the weight takes in memory as held, scales included. */
    long bytes();
}
