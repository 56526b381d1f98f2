package io.tributary.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.core.Linear;
import io.tributary.model.kernel.SplitProjection;

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
 * <p>Each thread multiplies its half in slices of about {@value #SLICE_BYTES} bytes: MKL multiplies several rows by
 * one very large weight more slowly than by its slices (here 8 rows by half of a 151,674-token vocabulary projection,
 * 272 MB, streamed 4.3 GB/s whole and 6.1 GB/s in slices; 4 rows 5.3 and 7.4), while slices much smaller than the
 * MLP's weights (8.7 MB a half in a 0.5B model) gain nothing. A slice is multiplied as
 * {@code x @ w^T}, except 2 or {@value #MAX_ROWS_WEIGHT_FIRST} rows, which go as {@code (w @ x^T)^T}: MKL's sgemm
 * multiplies a few rows by a large transposed weight slowly (here [2, 896] by [4864, 896] took 3.7 ms, 2.4 times one
 * row's 1.5 ms), but with the weight as the left operand it streams the weight as fast as for one row (1.1 ms). From
 * 4 rows on the usual order is as fast or faster, for the weights of every model size tried (896 to 11,008 wide).
 *
 * <p>The slices are views of the weight (nothing is copied), made once and owned by the model's manager.
 */
final class RowSplit implements AutoCloseable {

    static final long MIN_WEIGHT_BYTES = 2L << 20;
    static final int MAX_ROWS_WEIGHT_FIRST = 3;
    static final long SLICE_BYTES = 8L << 20;

    private final NDManager weights;
    private final SpinningPartner partner;
    private final Map<NDArray, NDArray[]> slices = Collections.synchronizedMap(new IdentityHashMap<>());

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
        long bytes = weight.getShape().size() * weight.getDataType().getNumOfBytes();
        if (bytes < MIN_WEIGHT_BYTES) {
            return Linear.linear(x, weight, bias).singletonOrThrow();
        }
        int perThread = (int) Math.max(1, Math.round(bytes / 2.0 / SLICE_BYTES));
        NDArray[] weightSlices = slices(weight, 2 * perThread);
        NDArray[] biasSlices = bias == null ? null : slices(bias, 2 * perThread);
        partner.submit(() -> multiply(x, weightSlices, biasSlices, perThread, 2 * perThread));
        NDArray first = multiply(x, weightSlices, biasSlices, 0, perThread);
        NDArray second = partner.await();
        return first.concat(second, -1); // both halves belong to x's manager, the step's
    }

    /** A packed weight's two halves on the two threads, joined along the output features. */
    NDArray both(NDArray x, SplitProjection halves, NDArray bias) {
        partner.submit(() -> halves.bottom().apply(x, null));
        NDArray top = halves.top().apply(x, null);
        return SplitProjection.join(top, partner.await(), bias);
    }

    /** x times slices {@code [from, to)} of a weight, joined along the output features. */
    private static NDArray multiply(NDArray x, NDArray[] weightSlices, NDArray[] biasSlices, int from, int to) {
        NDList products = new NDList(to - from);
        for (int i = from; i < to; i++) {
            products.add(multiply(x, weightSlices[i], biasSlices == null ? null : biasSlices[i]));
        }
        return products.size() == 1 ? products.get(0) : NDArrays.concat(products, -1);
    }

    /** {@code x @ w^T + b} for x [N, in], in the operand order fastest for N (see the class comment). */
    private static NDArray multiply(NDArray x, NDArray weight, NDArray bias) {
        long rows = x.getShape().get(0);
        if (rows < 2 || rows > MAX_ROWS_WEIGHT_FIRST || x.getShape().dimension() != 2) {
            return Linear.linear(x, weight, bias).singletonOrThrow();
        }
        NDArray product = weight.matMul(x.transpose()); // the left operand's manager, the model's: hand it to x's
        product.attach(x.getManager());
        NDArray rowsFirst = product.transpose();
        return bias == null ? rowsFirst : rowsFirst.add(bias);
    }

    /** A weight's (or bias's) rows cut into {@code count} contiguous slices, as views made once. */
    private NDArray[] slices(NDArray tensor, int count) {
        return slices.computeIfAbsent(tensor, whole -> {
            long rows = whole.getShape().get(0);
            NDArray[] cut = new NDArray[count];
            for (int i = 0; i < count; i++) {
                cut[i] = whole.get(weights, new NDIndex().addSliceDim(rows * i / count, rows * (i + 1) / count));
            }
            return cut;
        });
    }

    @Override
    public void close() {
        partner.close();
    }
}
