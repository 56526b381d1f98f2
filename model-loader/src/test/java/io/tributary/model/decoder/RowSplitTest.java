package io.tributary.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** A matmul split over two threads, and sliced, is the same matmul, for weights large and small. */
class RowSplitTest {

    @Test
    void splitLinearEqualsTheWholeOneWithAndWithoutBias() {
        NativeTarget.prepareInferenceThread();
        try (NDManager weights = NativeTarget.newModelManager(LoadOptions.cpu(), "split");
                RowSplit split = RowSplit.forDevice(weights)) {
            assertThat(split).as("this machine has two cores").isNotNull();
            // Rows of 600 floats: 14,001 (33.6 MB) are cut into four slices, 1,025 (2.4 MB, over the threshold) into
            // halves, 64 stay whole; odd counts, so the pieces differ in size.
            for (long rows : new long[] {14001, 1025, 64}) {
                NDArray weight = weights.randomNormal(new Shape(rows, 600));
                NDArray bias = weights.randomNormal(new Shape(rows));
                for (int batch = 1; batch <= 9; batch++) { // both operand orders (see RowSplit)
                    assertSameAsWhole(split, weight, bias, batch);
                    assertSameAsWhole(split, weight, null, batch);
                }
            }
        }
    }

    private static void assertSameAsWhole(RowSplit split, NDArray weight, NDArray bias, int batch) {
        try (NDManager step = weight.getManager().newSubManager()) {
            NDArray x = step.randomNormal(new Shape(batch, weight.getShape().get(1)));
            float[] expected = Linear.linear(x, weight, bias).singletonOrThrow().toFloatArray();
            NDArray actual = split.linear(x, weight, bias);
            assertThat(actual.getShape())
                    .isEqualTo(new Shape(batch, weight.getShape().get(0)));
            assertThat(actual.toFloatArray()).as("%d rows", batch).containsExactly(expected, within(1e-4f));
            assertThat(actual.getManager()).as("the result is the step's").isSameAs(step);
        }
    }
}
