package io.tributary.model.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;

/** The embedding table as a DJL array: what training updates and what a tied dense output projection shares. */
public record DenseEmbedding(NDArray weight) implements TokenEmbedding {

    @Override
    public NDArray lookup(NDArray ids) {
        return Embedding.embedding(ids, weight, SparseFormat.DENSE).singletonOrThrow();
    }

    @Override
    public long rows() {
        return weight.getShape().get(0);
    }

    @Override
    public long width() {
        return weight.getShape().get(1);
    }

    @Override
    public long bytes() {
        return weight.size() * weight.getDataType().getNumOfBytes();
    }
}
