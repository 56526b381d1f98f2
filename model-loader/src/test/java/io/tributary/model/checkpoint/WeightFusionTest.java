package io.tributary.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class WeightFusionTest {

    @Test
    void scalesOnlyTheLeadingRowsAndInPlace() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            NDArray fused = manager.arange(12f).reshape(new Shape(4, 3));
            NDArray result = WeightFusion.scaleLeadingRows(fused, 2, 0.5f);
            assertThat(result).isSameAs(fused);
            assertThat(fused.toFloatArray()).containsExactly(0f, 0.5f, 1f, 1.5f, 2f, 2.5f, 6f, 7f, 8f, 9f, 10f, 11f);
            NDArray bias = manager.arange(1f, 5f);
            assertThat(WeightFusion.scaleLeadingRows(bias, 1, 2f).toFloatArray())
                    .containsExactly(2f, 2f, 3f, 4f);
        }
    }
}
