package io.tributary.model.kernel;

import ai.djl.ndarray.NDArray;

/**
 * A token embedding table [V, H]: float rows as the checkpoint stores them, or packed into fewer bytes with the
 * decoder's linear layers. Either way a lookup gives the rows in the activations' type.
 */
public sealed interface TokenEmbedding permits DenseEmbedding, PackedEmbedding {

    /** The rows of {@code ids} ([T], int64): [T, H], owned by the manager of {@code ids}. */
    NDArray lookup(NDArray ids);

    /** V. */
    long rows();

    /** H. */
    long width();

    /** Bytes the table takes as held, scales included. */
    long bytes();
}
