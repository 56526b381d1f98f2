package io.tributary.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.core.Linear;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Multiplies by a large weight on two cores: the weight's output rows are split in half, the calling thread computes
 * one half while a {@link SpinningPartner} computes the other, and the halves are joined. A decode step reads every weight
 * once, and one core cannot read memory as fast as two (measured here on a 543 MB matrix: 12 GB/s alone, 22 GB/s
 * split this way), while PyTorch's own second intra-op thread does not speed up a matrix-vector product. Weights
 * under {@value #MIN_WEIGHT_BYTES} bytes (the embedded experts') stay on one thread: there the hand-off costs more
 * than it saves.
 *
 * <p>The halves are views of the weight (nothing is copied), made once and owned by the model's manager.
 */
final class RowSplit implements AutoCloseable {

    static final long MIN_WEIGHT_BYTES = 2L << 20;

    private final NDManager weights;
    private final SpinningPartner partner;
    private final Map<NDArray, NDArray[]> halves = Collections.synchronizedMap(new IdentityHashMap<>());

    private RowSplit(NDManager weights) {
        this.weights = weights;
        this.partner = new SpinningPartner("tributary-row-split");
    }

    /** A splitter for a model whose weights live in {@code weights}, or {@code null} where it cannot help. */
    static RowSplit forDevice(NDManager weights) {
        boolean cpu = !weights.getDevice().isGpu();
        return cpu && Runtime.getRuntime().availableProcessors() >= 2 ? new RowSplit(weights) : null;
    }

    /** torch's F.linear, {@code x @ w^T + b}, on two threads when the weight is large. */
    NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        if (weight.getShape().size() * weight.getDataType().getNumOfBytes() < MIN_WEIGHT_BYTES) {
            return Linear.linear(x, weight, bias).singletonOrThrow();
        }
        NDArray[] weightHalves = halves(weight);
        NDArray[] biasHalves = bias == null ? new NDArray[2] : halves(bias);
        partner.submit(() -> Linear.linear(x, weightHalves[1], biasHalves[1]).singletonOrThrow());
        NDArray first = Linear.linear(x, weightHalves[0], biasHalves[0]).singletonOrThrow();
        NDArray second = partner.await();
        return first.concat(second, -1); // both halves belong to x's manager, the step's
    }

    /** The first and last half of a weight's (or bias's) rows, as views made once. */
    private NDArray[] halves(NDArray tensor) {
        return halves.computeIfAbsent(tensor, whole -> {
            long rows = whole.getShape().get(0);
            return new NDArray[] {whole.get(weights, new NDIndex().addSliceDim(0, rows / 2)),
                    whole.get(weights, new NDIndex().addSliceDim(rows / 2, rows))};
        });
    }

    @Override
    public void close() {
        partner.close();
    }
}
