package io.tributary.model.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.checkpoint.AwqConfig;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.npy.Npy;
import io.tributary.model.npy.NpyArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * AWQ weights through our loading path against an independent reference: {@code src/test/resources/awq}, written by
 * {@code make_reference.py} with numpy alone (packing in AutoAWQ's nibble order, dequantising in float64).
 *
 * <p>The unpacked 4-bit values and zero points must match exactly. The kernel's weight (read back by multiplying
 * the identity) differs from numpy's by the kernel's bf16: its scales and zeros are bf16, each off by at most 2^-8
 * of itself, so an element is off by at most s * (|q - 8| + |8 - z|) * 2^-8, and the bf16 output adds 2^-8 of |w|.
 * Multiplied by many rows at once, the weight is first widened to bf16: (q - 8) * s and the zero's addition round once
 * more each, adding at most s * |q - 8| * 2^-8 and 2^-8 of |w|.
 */
class AwqProjectionsTest {

    private static final String ATTN = "model.layers.0.self_attn.";
    private static final int IN = 256;
    private static final int GROUP = 64;
    private static NDManager manager;
    private static CheckpointTensors tensors;
    private static Map<String, NpyArray> reference;
    private static AwqProjections awq;

    @BeforeAll
    static void load() throws Exception {
        Path fixture = Path.of(AwqProjectionsTest.class.getResource("/awq").toURI());
        tensors = CheckpointTensors.open(fixture);
        reference = Npy.readNpz(fixture.resolve("reference.npz"));
        NativeTarget.prepareInferenceThread();
        manager = NativeTarget.newModelManager(LoadOptions.cpu(), "awq-test");
        awq = AwqProjections.open(
                tensors, new AwqConfig(GROUP, List.of()), WeightPacker.dense(), manager, DataType.FLOAT32);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"q_proj", "k_proj", "v_proj"})
    void unpackedValuesAndZeroPointsEqualNumpys(String module) {
        try (NDManager scope = manager.newSubManager()) {
            Kernels kernels = Kernels.load(scope);
            int[] q = kernels.unpackAwq(tensors.load(ATTN + module + ".qweight", scope, DataType.INT32))
                    .toIntArray(); // [in, out]
            int[] z = kernels.unpackAwq(tensors.load(ATTN + module + ".qzeros", scope, DataType.INT32))
                    .toIntArray(); // [in/group, out]
            int[] expectedQ = reference.get(ATTN + module + ".q").toInts(); // [out, in]
            int out = expectedQ.length / IN;
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < IN; i++) {
                    assertThat(q[i * out + o]).as("q[%d, %d]", o, i).isEqualTo(expectedQ[o * IN + i]);
                }
            }
            assertThat(z).containsExactly(reference.get(ATTN + module + ".z").toInts());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"q_proj", "k_proj", "v_proj"})
    void kernelWeightEqualsNumpysDequantisedWeight(String module) {
        for (boolean widened : new boolean[] {false, true}) {
            Error error = compare(List.of(module), 0, 1f, widened);
            System.out.printf(
                    "AWQ %s%s: max |kernel - numpy| %.3g (%.4f of its group's scale; bound %.4f), relative RMS %.2g%n",
                    module,
                    widened ? " widened" : "",
                    error.absolute(),
                    error.inScales(),
                    error.boundInScales(),
                    error.relativeRms());
        }
    }

    /** The fused q/k/v of the decoder: rows stacked in order, the q rows' scales and zeros times 1/sqrt(head_dim). */
    @Test
    void fusedProjectionStacksRowsAndScalesTheQueryRows() {
        Error error = compare(List.of("q_proj", "k_proj", "v_proj"), 64, 0.125f, false);
        System.out.printf(
                "AWQ fused qkv: max |kernel - numpy| %.3g (%.4f of a scale), relative RMS %.2g%n",
                error.absolute(), error.inScales(), error.relativeRms());
    }

    /** A weight large enough to be held in two halves (2 MB of int4) multiplies as the same weight held whole. */
    @Test
    void largeQuantisedWeightsSplitInHalvesMultiplyAsOne() {
        int out = 4096;
        int in = 1024;
        Random random = new Random(3);
        try (NDManager scope = manager.newSubManager()) {
            NDArray q = scope.create(random.ints(out * in, 0, 16).toArray(), new Shape(out, in));
            NDArray zeros = scope.create(random.ints(in / GROUP * out, 0, 16).toArray(), new Shape(in / GROUP, out));
            float[] s = new float[in / GROUP * out];
            for (int i = 0; i < s.length; i++) {
                s[i] = 0.001f + random.nextFloat() * 0.01f;
            }
            NDArray scales = scope.create(s, new Shape(in / GROUP, out));
            Projection split = WeightPacker.quantizedInt4(Kernels.load(scope), q, scales, zeros, GROUP, scope);
            Projection whole = PackedProjection.fromInt4(Kernels.load(scope), q, scales, zeros, GROUP, scope);
            assertThat(split).isInstanceOf(SplitProjection.class);
            float[] xs = new float[2 * in];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = (float) random.nextGaussian();
            }
            NDArray x = scope.create(xs, new Shape(2, in));
            assertThat(split.apply(x, null).toFloatArray())
                    .containsExactly(whole.apply(x, null).toFloatArray());
        }
    }

    /**
     * @param absolute      the largest |kernel - numpy|
     * @param inScales      the largest error over its group's scale: the quantisation step
     * @param boundInScales the largest bound, likewise
     * @param relativeRms   root-mean-square error over root-mean-square weight
     */
    private record Error(double absolute, double inScales, double boundInScales, double relativeRms) {}

    /**
     * The projection of {@code modules} read back against numpy's weights, row by row: through the int4 kernel, or
     * ({@code widened}) through the weight widened to bf16, as a prompt's many rows are multiplied.
     */
    private static Error compare(List<String> modules, long scaledRows, float scale, boolean widened) {
        try (NDManager scope = manager.newSubManager()) {
            Projection projection = awq.load(modules.stream().map(m -> ATTN + m).toList(), scaledRows, scale);
            float[] readBack;
            try (NDArray identity = scope.eye(IN)) {
                // [in, out], the weight transposed; below the widening threshold, a few rows at a time
                readBack = widened
                        ? projection.apply(identity, null).toFloatArray()
                        : NDArrays.concat(new NDList(
                                        projection.apply(identity.get("0:128"), null),
                                        projection.apply(identity.get("128:"), null)))
                                .toFloatArray();
            }
            int out = Math.toIntExact(projection.outFeatures());
            double worst = 0;
            double worstInScales = 0;
            double worstBound = 0;
            double squaredErrors = 0;
            double squaredWeights = 0;
            int row = 0;
            for (String module : modules) {
                float[][] w = reference.get(ATTN + module + ".weight").toMatrix(); // [rows, in]
                int[] q = reference.get(ATTN + module + ".q").toInts();
                int[] z = reference.get(ATTN + module + ".z").toInts();
                float[] s = tensors.load(ATTN + module + ".scales", scope, DataType.FLOAT32)
                        .toFloatArray(); // [in/group, rows]
                for (int o = 0; o < w.length; o++, row++) {
                    double factor = row < scaledRows ? scale : 1;
                    for (int i = 0; i < IN; i++) {
                        double expected = w[o][i] * factor;
                        double groupScale = s[(i / GROUP) * w.length + o] * factor;
                        int zero = z[(i / GROUP) * w.length + o];
                        double bound = groupScale * (Math.abs(q[o * IN + i] - 8) + Math.abs(8 - zero)) * 0x1p-8
                                + Math.abs(expected) * 0x1p-8
                                + 1e-9;
                        if (widened) {
                            bound += groupScale * Math.abs(q[o * IN + i] - 8) * 0x1p-8 + Math.abs(expected) * 0x1p-8;
                        }
                        double actual = readBack[i * out + row];
                        assertThat(Math.abs(actual - expected))
                                .as("%s[%d, %d]", module, o, i)
                                .isLessThanOrEqualTo(bound);
                        worst = Math.max(worst, Math.abs(actual - expected));
                        squaredErrors += (actual - expected) * (actual - expected);
                        squaredWeights += expected * expected;
                        worstInScales = Math.max(worstInScales, Math.abs(actual - expected) / groupScale);
                        worstBound = Math.max(worstBound, bound / groupScale);
                    }
                }
            }
            assertThat(row).isEqualTo(out);
            return new Error(worst, worstInScales, worstBound, Math.sqrt(squaredErrors / squaredWeights));
        }
    }
}
