package io.tributary.model.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import org.junit.jupiter.api.Test;

/** A matmul split over two threads is the same matmul, for weights large enough to be split and small ones. */
class RowSplitTest {

    @Test
    void splitLinearEqualsTheWholeOneWithAndWithoutBias() {
        NativeTarget.prepareInferenceThread();
        try (NDManager weights = NativeTarget.newModelManager(LoadOptions.cpu(), "split");
                RowSplit split = RowSplit.forDevice(weights)) {
            assertThat(split).as("this machine has two cores").isNotNull();
            // 1,025 rows (odd, so the halves differ) of 600 floats: 2.4 MB, over the threshold; and a small one.
            for (long rows : new long[] {1025, 64}) {
                NDArray weight = weights.randomNormal(new Shape(rows, 600));
                NDArray bias = weights.randomNormal(new Shape(rows));
                for (NDArray b : new NDArray[] {bias, null}) {
                    try (NDManager step = weights.newSubManager()) {
                        NDArray x = step.randomNormal(new Shape(3, 600));
                        float[] expected = Linear.linear(x, weight, b).singletonOrThrow().toFloatArray();
                        NDArray actual = split.linear(x, weight, b);
                        assertThat(actual.getShape()).isEqualTo(new Shape(3, rows));
                        assertThat(actual.toFloatArray()).containsExactly(expected, within(1e-4f));
                        assertThat(actual.getManager()).as("the result is the step's").isSameAs(step);
                    }
                }
            }
        }
    }
}
