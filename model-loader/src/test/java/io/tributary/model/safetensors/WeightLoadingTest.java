package io.tributary.model.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.ModelLoadException;
import io.tributary.model.WeightLoading;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link WeightLoading#MMAP} and {@link WeightLoading#READ}: the same values, different memory. */
class WeightLoadingTest {

    private static NDManager manager;

    @TempDir
    Path dir;

    @BeforeAll
    static void startEngine() {
        manager = NDManager.newBaseManager("PyTorch");
    }

    @AfterAll
    static void closeEngine() {
        manager.close();
    }

    @ParameterizedTest
    @EnumSource(WeightLoading.class)
    void everyTypeLoadsTheSameValuesEitherWay(WeightLoading loading) throws IOException {
        float[] values = random(8 * 5, 3);
        write(List.of(
                new Tensor("f32", SafetensorsDType.F32, new long[] {8, 5}, values),
                new Tensor("f16", SafetensorsDType.F16, new long[] {8, 5}, values),
                new Tensor("bf16", SafetensorsDType.BF16, new long[] {8, 5}, values),
                new Tensor("empty", SafetensorsDType.F32, new long[] {0, 5}, new float[0])));
        SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir, loading);
        SafetensorsCheckpoint reference = SafetensorsCheckpoint.open(dir, other(loading));
        try (NDManager m = manager.newSubManager()) {
            assertThat(checkpoint.load("f32", m, DataType.FLOAT32).toFloatArray())
                    .containsExactly(values);
            for (String name : List.of("f32", "f16", "bf16")) {
                for (DataType type : List.of(DataType.FLOAT32, DataType.FLOAT16)) {
                    NDArray loaded = checkpoint.load(name, m, type);
                    assertThat(loaded.getDataType()).isEqualTo(type);
                    assertThat(loaded.getShape().getShape()).containsExactly(8, 5);
                    assertThat(loaded.contentEquals(reference.load(name, m, type)))
                            .as(name + " as " + type)
                            .isTrue();
                }
            }
            assertThat(checkpoint.load("empty", m, DataType.FLOAT32).getShape().getShape())
                    .containsExactly(0, 5);
        }
    }

    @Test
    void mmapUsesTheFilesPagesAndReadOwnsACopy() throws IOException {
        Path file = write(List.of(new Tensor("w", SafetensorsDType.F32, new long[] {1024}, random(1024, 5))));
        try (NDManager m = manager.newSubManager()) {
            NDArray mapped = SafetensorsCheckpoint.open(dir, WeightLoading.MMAP).load("w", m, DataType.FLOAT32);
            NDArray read = SafetensorsCheckpoint.open(dir, WeightLoading.READ).load("w", m, DataType.FLOAT32);
            float[] before = read.toFloatArray();

            // Rewrite the tensor's bytes in the file: only an array over the file's own pages sees the change.
            TensorInfo info = SafetensorsFile.open(file).tensors().get("w");
            ByteBuffer sevens = ByteBuffer.allocate((int) info.byteLength()).order(ByteOrder.LITTLE_ENDIAN);
            while (sevens.hasRemaining()) {
                sevens.putFloat(7f);
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.write(sevens.flip(), info.begin());
            }

            assertThat(mapped.toFloatArray()).containsOnly(7f);
            assertThat(read.toFloatArray()).containsExactly(before);
        }
    }

    @ParameterizedTest
    @EnumSource(value = SafetensorsDType.class, names = "I32", mode = EnumSource.Mode.EXCLUDE) // the float types
    void loadRowsStacksTensorsInOrder(SafetensorsDType dtype) throws IOException {
        write(List.of(
                new Tensor("q", dtype, new long[] {4, 3}, random(12, 1)),
                new Tensor("k", dtype, new long[] {2, 3}, random(6, 2)),
                new Tensor("v", dtype, new long[] {2, 3}, random(6, 3))));
        SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir, WeightLoading.MMAP);
        DataType type = dtype == SafetensorsDType.F16 ? DataType.FLOAT16 : DataType.FLOAT32;
        try (NDManager m = manager.newSubManager()) {
            NDArray fused = checkpoint.loadRows(List.of("q", "k", "v"), m, type);
            NDArray expected = NDArrays.concat(
                    new NDList(
                            checkpoint.load("q", m, type),
                            checkpoint.load("k", m, type),
                            checkpoint.load("v", m, type)),
                    0);
            assertThat(fused.getShape().getShape()).containsExactly(8, 3);
            assertThat(fused.contentEquals(expected)).isTrue();
            // F16 stored, float32 wanted: converted part by part, same stacking.
            assertThat(checkpoint
                            .loadRows(List.of("v", "q"), m, DataType.FLOAT32)
                            .toFloatArray())
                    .containsExactly(NDArrays.concat(
                                    new NDList(
                                            checkpoint.load("v", m, DataType.FLOAT32),
                                            checkpoint.load("q", m, DataType.FLOAT32)),
                                    0)
                            .toFloatArray());
        }
    }

    @Test
    void loadRowsRefusesTensorsOfDifferentWidthNamingThem() throws IOException {
        write(List.of(
                new Tensor("q", SafetensorsDType.F32, new long[] {2, 3}, random(6, 1)),
                new Tensor("k", SafetensorsDType.F32, new long[] {2, 4}, random(8, 2))));
        SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir);
        try (NDManager m = manager.newSubManager()) {
            assertThatThrownBy(() -> checkpoint.loadRows(List.of("q", "k"), m, DataType.FLOAT32))
                    .isInstanceOf(ModelLoadException.class)
                    .hasMessageContaining("'k'")
                    .hasMessageContaining("[2, 4]");
        }
    }

    private Path write(List<Tensor> tensors) throws IOException {
        Path file = dir.resolve(SafetensorsCheckpoint.SINGLE_FILE);
        SafetensorsWriter.write(file, tensors, Map.of());
        return file;
    }

    private static WeightLoading other(WeightLoading loading) {
        return loading == WeightLoading.MMAP ? WeightLoading.READ : WeightLoading.MMAP;
    }

    private static float[] random(int count, long seed) {
        Random random = new Random(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
