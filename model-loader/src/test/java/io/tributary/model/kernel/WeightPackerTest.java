package io.tributary.model.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.Precision;
import io.tributary.model.Quantization;
import io.tributary.model.WeightLoading;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.kernel.WeightPacker.RowSource;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Weights packed from the checkpoint a block of rows at a time must be the weights packed whole: the same products
 * bit for bit (which also pins the int4 kernel's row layout that joining blocks relies on), and embedding rows that
 * are the format's rounding of the stored ones.
 */
class WeightPackerTest {

    private static final int IN = 64;
    private static final int GROUP = 32;
    private static NDManager manager;
    private static Kernels kernels;

    @TempDir
    static Path directory;

    @BeforeAll
    static void load() {
        NativeTarget.prepareInferenceThread();
        manager = NativeTarget.newModelManager(LoadOptions.cpu(), "weight-packer-test");
        kernels = Kernels.load(manager);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @ParameterizedTest
    @EnumSource(PackedProjection.Format.class)
    void aStackedWeightPackedInBlocksMultipliesAsTheWholeWeightPacked(PackedProjection.Format format)
            throws IOException {
        // With k of 64 rows every block joins the next; with 40, k's last block ends mid-way, so for int4 the rows
        // are gathered before packing instead.
        for (int kRows : new int[] {64, 40}) {
            Map<String, float[]> stored = Map.of(
                    "q", gaussian(320 * IN, 1, 0.05f),
                    "k", gaussian(kRows * IN, 2, 0.05f),
                    "v", gaussian(64 * IN, 3, 0.05f));
            CheckpointTensors tensors = checkpoint(
                    format + "-stacked-" + kRows,
                    List.of(tensor("q", 320, stored), tensor("k", kRows, stored), tensor("v", 64, stored)));
            List<RowSource> sources = List.of(new RowSource("q", 0.125f), RowSource.of("k"), RowSource.of("v"));
            int rows = 320 + kRows + 64;
            float[] whole = new float[rows * IN];
            for (int i = 0; i < 320 * IN; i++) {
                whole[i] = stored.get("q")[i] * 0.125f;
            }
            System.arraycopy(stored.get("k"), 0, whole, 320 * IN, kRows * IN);
            System.arraycopy(stored.get("v"), 0, whole, (320 + kRows) * IN, 64 * IN);
            try (NDManager scope = manager.newSubManager()) {
                WeightPacker packer = packer(format, scope).withBlockBytes(64L * IN * 4);
                Projection blocks = packer.linear(tensors, sources, scope, DataType.FLOAT32);
                PackedProjection reference =
                        PackedProjection.pack(kernels, format, scope.create(whole, new Shape(rows, IN)), GROUP, scope);
                NDArray x = scope.create(gaussian(3 * IN, 4, 1f), new Shape(3, IN));
                assertThat(blocks.outFeatures()).isEqualTo(rows);
                assertThat(blocks.apply(x, null).toFloatArray())
                        .as("%s with k of %d rows", format, kRows)
                        .containsExactly(reference.apply(x, null).toFloatArray());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(PackedProjection.Format.class)
    void anEmbeddingPackedInBlocksLooksUpTheFormatsRoundingOfItsRows(PackedProjection.Format format)
            throws IOException {
        int rows = 150;
        float[] table = gaussian(rows * IN, 5, 0.05f);
        table[7 * IN + 3] = 0.9f; // an outlier sets its row's (int8) or group's (int4) scale
        CheckpointTensors tensors = checkpoint(
                format + "-embedding",
                List.of(new Tensor("embed", SafetensorsDType.F32, new long[] {rows, IN}, table)));
        long[] ids = {7, 0, 149, 7, 64};
        try (NDManager scope = manager.newSubManager()) {
            TokenEmbedding embedding = packer(format, scope)
                    .withBlockBytes(16L * IN * 4)
                    .embedding(tensors, "embed", scope, DataType.FLOAT32);
            assertThat(embedding).isInstanceOf(PackedEmbedding.class);
            assertThat(embedding.rows()).isEqualTo(rows);
            float[] looked = embedding.lookup(scope.create(ids)).toFloatArray();
            for (int t = 0; t < ids.length; t++) {
                float[] expected = rounded(format, table, (int) ids[t]);
                for (int i = 0; i < IN; i++) {
                    assertThat(looked[t * IN + i])
                            .as("%s token %d element %d", format, ids[t], i)
                            .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-7f));
                }
            }
            long expectedBytes = switch (format) {
                case BF16 -> (long) rows * IN * 2;
                case INT8 -> (long) rows * IN + rows * 2L;
                case INT4 -> (long) rows * IN / 2 + (long) rows * (IN / GROUP) * 2;
            };
            assertThat(embedding.bytes()).isEqualTo(expectedBytes);
        }
    }

    /** Row {@code row} of {@code table} as the format holds it, computed here from the format's definition. */
    private static float[] rounded(PackedProjection.Format format, float[] table, int row) {
        float[] out = new float[IN];
        switch (format) {
            case BF16 -> {
                for (int i = 0; i < IN; i++) {
                    out[i] = bf16(table[row * IN + i]);
                }
            }
            case INT8 -> {
                float peak = 0;
                for (int i = 0; i < IN; i++) {
                    peak = Math.max(peak, Math.abs(table[row * IN + i]));
                }
                float step = bf16(peak / 127f);
                for (int i = 0; i < IN; i++) {
                    out[i] = (float) Math.max(-127, Math.min(127, Math.rint(table[row * IN + i] / step))) * step;
                }
            }
            case INT4 -> {
                for (int g = 0; g < IN; g += GROUP) {
                    float peak = 0;
                    for (int i = g; i < g + GROUP; i++) {
                        if (Math.abs(table[row * IN + i]) > Math.abs(peak)) {
                            peak = table[row * IN + i];
                        }
                    }
                    float step = bf16(peak / -8f);
                    for (int i = g; i < g + GROUP; i++) {
                        double q = Math.max(0, Math.min(15, Math.rint(table[row * IN + i] / step) + 8));
                        out[i] = (float) (q - 8) * step;
                    }
                }
            }
        }
        return out;
    }

    private static WeightPacker packer(PackedProjection.Format format, NDManager owner) {
        LoadOptions fp32 = new LoadOptions("cpu", Precision.FP32, WeightLoading.MMAP);
        LoadOptions options = switch (format) {
            case BF16 -> fp32.withPrecision(Precision.BF16);
            case INT8 -> fp32.withQuantization(Quantization.INT8, GROUP);
            case INT4 -> fp32.withQuantization(Quantization.INT4, GROUP);
        };
        return WeightPacker.of(options, owner);
    }

    private static Tensor tensor(String name, int rows, Map<String, float[]> values) {
        return new Tensor(name, SafetensorsDType.F32, new long[] {rows, IN}, values.get(name));
    }

    private static CheckpointTensors checkpoint(String name, List<Tensor> tensors) throws IOException {
        Path dir = directory.resolve(name);
        java.nio.file.Files.createDirectories(dir);
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of());
        return CheckpointTensors.open(dir);
    }

    /** Round to the nearest bfloat16, ties to even, as torch's {@code .to(torch.bfloat16)}. */
    private static float bf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        bits += 0x7FFF + ((bits >> 16) & 1);
        return Float.intBitsToFloat(bits & 0xFFFF0000);
    }

    private static float[] gaussian(int n, long seed, float std) {
        Random random = new Random(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian() * std;
        }
        return values;
    }
}
