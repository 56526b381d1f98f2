package io.tributary.model.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Each packed format against a reference written here from its definition, sharing no code with the kernels: the
 * weight rounded as the format says (bf16; int8 per row; int4 in groups, Q4_0's rule), the activations rounded to
 * bf16, products summed in double. The kernels' bf16 output may differ from it by bf16 rounding.
 */
class PackedProjectionTest {

    // Not a multiple of 16, so the int4 kernel pads it, and over 64, so its packing has a whole block and a partial
    // one.
    private static final int OUT = 104;
    private static final int IN = 96;
    private static NDManager manager;
    private static Kernels kernels;

    @BeforeAll
    static void load() {
        NativeTarget.prepareInferenceThread();
        manager = NativeTarget.newModelManager(LoadOptions.cpu(), "kernels-test");
        kernels = Kernels.load(manager);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    /**
     * A few rows go through the weight-only kernels; a prompt's worth ({@value PackedProjection#INT4_WIDENED_ROWS}) through
     * the weight widened to bf16, whose unpacking of the int4 layout is checked here against the reference.
     */
    @ParameterizedTest
    @CsvSource({"BF16, 3", "INT8, 3", "INT4, 3", "INT8, 192", "INT4, 192"})
    void packedProductsMatchTheReference(PackedProjection.Format format, int rows) {
        float[] w = gaussian(OUT * IN, 1, 0.05f);
        w[7 * IN + 3] = 0.9f; // an outlier: the scale of its row (int8) or group (int4) must follow it
        float[] x = gaussian(rows * IN, 2, 1f);
        try (NDManager scope = manager.newSubManager()) {
            NDArray weight = scope.create(w, new Shape(OUT, IN));
            PackedProjection packed = PackedProjection.pack(kernels, format, weight, 32, scope);
            float[] y = packed.apply(scope.create(x, new Shape(rows, IN)), null).toFloatArray();
            double[] expected = reference(format, w, x, rows);
            double scale = maxAbs(expected);
            for (int i = 0; i < expected.length; i++) {
                assertThat(Math.abs(y[i] - expected[i]))
                        .as("%s output %d", format, i)
                        .isLessThanOrEqualTo(scale * 8e-3 + 1e-6);
            }
            assertThat(packed.outFeatures()).isEqualTo(OUT);
            assertThat(packed.inFeatures()).isEqualTo(IN);
        }
    }

    @ParameterizedTest
    @EnumSource(PackedProjection.Format.class)
    void rowsMultipliedTogetherEqualRowsMultipliedAlone(PackedProjection.Format format) {
        try (NDManager scope = manager.newSubManager()) {
            PackedProjection packed = PackedProjection.pack(
                    kernels, format, scope.create(gaussian(OUT * IN, 3, 0.05f), new Shape(OUT, IN)), 32, scope);
            NDArray x = scope.create(gaussian(5 * IN, 4, 1f), new Shape(5, IN));
            NDArray bias = scope.create(gaussian(OUT, 5, 1f));
            float[] together = packed.apply(x, bias).toFloatArray();
            for (int row = 0; row < 5; row++) {
                float[] alone = packed.apply(x.get(row + ":" + (row + 1)), bias).toFloatArray();
                for (int j = 0; j < OUT; j++) {
                    // One bf16 rounding step of the output at most, whatever blocking the kernel chose for 1 or 5 rows.
                    assertThat(Math.abs(together[row * OUT + j] - alone[j]))
                            .as("%s row %d output %d", format, row, j)
                            .isLessThanOrEqualTo(Math.abs(alone[j]) * 8e-3f + 1e-5f);
                }
            }
        }
    }

    @Test
    void int4WeightsUnpackOnCpusWithAvx512() throws java.io.IOException {
        boolean avx512 = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/cpuinfo"))
                .contains(" avx512f ");
        assertThat(kernels.unpacksInt4())
                .as("ATen packs int4 for AVX-512 as unpack_int4 reads it")
                .isEqualTo(avx512);
    }

    @Test
    void int4RefusesAGroupThatDoesNotDivideTheWidth() {
        try (NDManager scope = manager.newSubManager()) {
            NDArray weight = scope.create(gaussian(16 * 48, 6, 0.05f), new Shape(16, 48));
            assertThatThrownBy(() -> PackedProjection.pack(kernels, PackedProjection.Format.INT4, weight, 32, scope))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("48 input features");
        }
    }

    @Test
    void packingFreesTheSourceAndClosingTheOwnerFreesThePackedWeights() {
        NDManager owner = manager.newSubManager();
        WeightPacker packer = WeightPacker.of(
                new LoadOptions(
                        "cpu",
                        io.tributary.model.Precision.FP32,
                        io.tributary.model.WeightLoading.READ,
                        io.tributary.model.Quantization.INT8,
                        32),
                owner);
        NDArray weight = owner.create(gaussian(OUT * IN, 7, 0.05f), new Shape(OUT, IN));
        Projection packed = packer.pack(weight);
        assertThat(weight.isReleased())
                .as("the float weight is freed once packed")
                .isTrue();
        assertThat(packed).isInstanceOf(PackedProjection.class);
        assertThat(packed.bytes()).isEqualTo((long) OUT * IN + OUT * 2);
        owner.close(); // closes the packed weight with the model's other arrays; a second close would throw in JNI
    }

    @Test
    void aLargeWeightIsHeldInTwoHalvesThatMultiplyAsTheWhole() {
        NDManager owner = manager.newSubManager();
        try {
            WeightPacker packer = WeightPacker.of(
                    new LoadOptions(
                            "cpu",
                            io.tributary.model.Precision.FP32,
                            io.tributary.model.WeightLoading.READ,
                            io.tributary.model.Quantization.INT8,
                            32),
                    owner);
            int out = 2064; // over 2 MB in int8, and not a multiple of 32: the halves are 1024 and 1040 rows
            int in = 1024;
            float[] w = gaussian(out * in, 8, 0.05f);
            NDArray weight = owner.create(w, new Shape(out, in));
            Projection split = packer.pack(weight);
            assertThat(split).isInstanceOf(SplitProjection.class);
            assertThat(weight.isReleased())
                    .as("the float weight is freed once packed")
                    .isTrue();
            assertThat(split.outFeatures()).isEqualTo(out);
            PackedProjection whole = PackedProjection.pack(
                    kernels, PackedProjection.Format.INT8, owner.create(w, new Shape(out, in)), 32, owner);
            NDArray x = owner.create(gaussian(2 * in, 9, 1f), new Shape(2, in));
            NDArray bias = owner.create(gaussian(out, 10, 1f));
            assertThat(split.apply(x, bias).toFloatArray())
                    .containsExactly(whole.apply(x, bias).toFloatArray());
        } finally {
            owner.close();
        }
    }

    /** The format's rounding of w [out, in], applied to x [rows, in] rounded to bf16: y [rows, out]. */
    private static double[] reference(PackedProjection.Format format, float[] w, float[] x, int rows) {
        double[] dequantised = new double[w.length];
        for (int o = 0; o < OUT; o++) {
            switch (format) {
                case BF16 -> {
                    for (int i = 0; i < IN; i++) {
                        dequantised[o * IN + i] = bf16(w[o * IN + i]);
                    }
                }
                case INT8 -> {
                    float peak = 0;
                    for (int i = 0; i < IN; i++) {
                        peak = Math.max(peak, Math.abs(w[o * IN + i]));
                    }
                    float step = bf16(peak / 127f);
                    for (int i = 0; i < IN; i++) {
                        double q = Math.max(-127, Math.min(127, Math.rint(w[o * IN + i] / step)));
                        dequantised[o * IN + i] = q * step;
                    }
                }
                case INT4 -> {
                    for (int g = 0; g < IN; g += 32) {
                        float peak = 0;
                        for (int i = g; i < g + 32; i++) {
                            if (Math.abs(w[o * IN + i]) > Math.abs(peak)) {
                                peak = w[o * IN + i];
                            }
                        }
                        float step = bf16(peak / -8f);
                        for (int i = g; i < g + 32; i++) {
                            double q = Math.max(0, Math.min(15, Math.rint(w[o * IN + i] / step) + 8));
                            dequantised[o * IN + i] = (q - 8) * step;
                        }
                    }
                }
            }
        }
        double[] y = new double[rows * OUT];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < OUT; o++) {
                double sum = 0;
                for (int i = 0; i < IN; i++) {
                    sum += bf16(x[r * IN + i]) * dequantised[o * IN + i];
                }
                y[r * OUT + o] = sum;
            }
        }
        return y;
    }

    /** Round to the nearest bfloat16, ties to even, as torch's {@code .to(torch.bfloat16)}. */
    private static float bf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        bits += 0x7FFF + ((bits >> 16) & 1);
        return Float.intBitsToFloat(bits & 0xFFFF0000);
    }

    private static double maxAbs(double[] values) {
        double max = 0;
        for (double v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
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
