package io.tributary.model.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.tributary.model.AutoPrecision;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.Precision;
import io.tributary.model.Quantization;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.clip.ClipVisionModel;
import io.tributary.model.kernel.WeightPacker;
import io.tributary.model.llava.LlavaConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A vision tower held in bf16 (the decoder in bf16, or in int8 / int4 on a CPU with bf16 arithmetic) encodes as the
 * float32 tower does, within bf16's rounding of weights and activations.
 */
class Bf16TowerTest {

    @Test
    void aBf16TowerEncodesAsTheFloat32TowerWithinBf16Rounding(@TempDir Path dir) throws IOException {
        Path checkpoint = TowerCheckpoints.llava(dir, 1, 100);
        LlavaConfig config = LlavaConfig.read(checkpoint.resolve("config.json"));
        CheckpointTensors tensors = CheckpointTensors.open(checkpoint);
        NativeTarget.prepareInferenceThread();
        try (NDManager manager = NativeTarget.newModelManager(LoadOptions.cpu(), "bf16-tower-test")) {
            WeightPacker bf16 = WeightPacker.forVisionTower(LoadOptions.cpu().withPrecision(Precision.BF16), manager);
            assertThat(bf16.isDense()).isFalse();
            ClipVisionModel packed = ClipVisionModel.loadTower(
                    tensors, config.vision(), ClipVisionModel.LLAVA_PREFIX, manager, DataType.FLOAT32, bf16);
            ClipVisionModel dense = ClipVisionModel.loadTower(
                    tensors,
                    config.vision(),
                    ClipVisionModel.LLAVA_PREFIX,
                    manager,
                    DataType.FLOAT32,
                    WeightPacker.dense());
            int size = config.vision().imageSize();
            float[] values = new float[2 * 3 * size * size];
            Random random = new Random(3);
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) random.nextGaussian();
            }
            NDArray pixels = manager.create(values, new Shape(2, 3, size, size));
            int layers = config.vision().numHiddenLayers();
            float[] expected = dense.hiddenStates(pixels, layers).get(layers).toFloatArray();
            float[] actual = packed.hiddenStates(pixels, layers).get(layers).toFloatArray();
            double worst = 0;
            double scale = 0;
            for (int i = 0; i < expected.length; i++) {
                worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
                scale = Math.max(scale, Math.abs(expected[i]));
            }
            // Each bf16 product carries 2^-8 relative rounding; over a few layers of width 64 that stays near 1%.
            assertThat(worst)
                    .as("largest difference, of hidden states up to %.3f", scale)
                    .isLessThan(0.03 * scale);
            assertThat(worst).as("the bf16 tower is not the float32 one").isGreaterThan(0);
        }
    }

    @Test
    void aTowerBesideAQuantisedDecoderIsBf16OnlyWhereTheCpuComputesInBf16() {
        try (NDManager manager = NativeTarget.newModelManager(LoadOptions.cpu(), "bf16-tower-test")) {
            LoadOptions int4 = LoadOptions.cpu().withQuantization(Quantization.INT4, 32);
            assertThat(WeightPacker.forVisionTower(int4, manager).isDense()).isEqualTo(!AutoPrecision.cpuHasBf16());
            assertThat(WeightPacker.forVisionTower(LoadOptions.cpu(), manager).isDense())
                    .isTrue();
        }
    }
}
