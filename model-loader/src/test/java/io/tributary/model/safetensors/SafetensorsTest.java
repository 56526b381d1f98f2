package io.tributary.model.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.ModelLoadException;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsTest {

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

    private static float[] randomValues(int count, long seed) {
        Random random = new Random(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (random.nextGaussian() * 3);
        }
        values[0] = 1e-6f; // an F16 subnormal
        return values;
    }

    @Test
    void roundTripsEachDtypeExactly() throws IOException {
        float[] values = randomValues(6 * 7, 1);
        List<Tensor> tensors = List.of(
                new Tensor("a.f32", SafetensorsDType.F32, new long[] {6, 7}, values),
                new Tensor("b.f16", SafetensorsDType.F16, new long[] {6, 7}, values),
                new Tensor("c.bf16", SafetensorsDType.BF16, new long[] {42}, values),
                new Tensor("d.scalar", SafetensorsDType.F32, new long[] {}, new float[] {5f}));
        SafetensorsWriter.write(dir.resolve(SafetensorsCheckpoint.SINGLE_FILE), tensors, Map.of("format", "pt"));

        SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir);
        assertThat(checkpoint.names()).containsExactly("a.f32", "b.f16", "c.bf16", "d.scalar");
        assertThat(SafetensorsFile.open(dir.resolve(SafetensorsCheckpoint.SINGLE_FILE))
                        .metadata())
                .containsEntry("format", "pt");
        try (NDManager m = manager.newSubManager()) {
            assertThat(checkpoint.load("a.f32", m, DataType.FLOAT32).toFloatArray())
                    .containsExactly(values);
            NDArray f16 = checkpoint.load("b.f16", m, DataType.FLOAT16);
            assertThat(f16.getDataType()).isEqualTo(DataType.FLOAT16);
            float[] f16AsFloats = checkpoint.load("b.f16", m, DataType.FLOAT32).toFloatArray();
            NDArray bf16 = checkpoint.load("c.bf16", m, DataType.FLOAT32);
            assertThat(bf16.getShape().getShape()).containsExactly(42);
            float[] bf16Values = bf16.toFloatArray();
            for (int i = 0; i < values.length; i++) {
                assertThat(f16AsFloats[i]).isEqualTo(HalfFloats.fromF16(HalfFloats.toF16(values[i])));
                assertThat(bf16Values[i]).isEqualTo(HalfFloats.fromBf16(HalfFloats.toBf16(values[i])));
            }
            assertThat(checkpoint.load("d.scalar", m, DataType.FLOAT32).toFloatArray())
                    .containsExactly(5f);
        }
    }

    @Test
    void readsShardedCheckpointsThroughTheIndex() throws IOException {
        List<Tensor> tensors = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            tensors.add(new Tensor("layer." + i, SafetensorsDType.F32, new long[] {10, 10}, randomValues(100, i)));
        }
        SafetensorsWriter.writeSharded(dir, tensors, Map.of(), 800); // two 400-byte tensors per shard
        assertThat(dir.resolve("model-00003-of-00003.safetensors")).exists();

        SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir);
        assertThat(checkpoint.names()).hasSize(5);
        assertThat(checkpoint.info("layer.4").file().getFileName().toString())
                .isEqualTo("model-00003-of-00003.safetensors");
        try (NDManager m = manager.newSubManager()) {
            for (int i = 0; i < 5; i++) {
                assertThat(checkpoint.load("layer." + i, m, DataType.FLOAT32).toFloatArray())
                        .containsExactly(tensors.get(i).values());
            }
        }
    }

    @Test
    void shardListedInIndexButMissingFailsNamingTensorAndShard() throws IOException {
        List<Tensor> tensors = List.of(new Tensor("w", SafetensorsDType.F32, new long[] {2}, new float[] {1, 2}));
        SafetensorsWriter.writeSharded(dir, tensors, Map.of(), 1000);
        Files.delete(dir.resolve("model-00001-of-00001.safetensors"));
        assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'w'")
                .hasMessageContaining("model-00001-of-00001.safetensors");
    }

    @Test
    void truncatedFileFailsNamingFileAndTensor() throws IOException {
        Path file = dir.resolve(SafetensorsCheckpoint.SINGLE_FILE);
        SafetensorsWriter.write(
                file,
                List.of(
                        new Tensor("first", SafetensorsDType.F32, new long[] {4}, new float[] {1, 2, 3, 4}),
                        new Tensor("last", SafetensorsDType.F32, new long[] {4}, new float[] {5, 6, 7, 8})),
                Map.of());
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(raf.length() - 3);
        }
        assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("'last'")
                .hasMessageContaining("truncated");
    }

    @Test
    void offsetBeyondTheFileFailsNamingFileAndTensor() throws IOException {
        Path file = writeRaw("{\"far\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[100,108]}}", 8);
        assertThatThrownBy(() -> SafetensorsFile.open(file))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("'far'");
    }

    @Test
    void offsetsThatDisagreeWithShapeFail() throws IOException {
        Path file = writeRaw("{\"odd\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        assertThatThrownBy(() -> SafetensorsFile.open(file))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'odd'")
                .hasMessageContaining("need 6");
    }

    @Test
    void badHeadersFailNamingTheFile() throws IOException {
        Path notJson = writeRaw("{\"x\": nonsense", 0);
        assertThatThrownBy(() -> SafetensorsFile.open(notJson))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(notJson.toString())
                .hasMessageContaining("JSON");

        Path badDtype = writeRaw("{\"ints\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);
        assertThatThrownBy(() -> SafetensorsFile.open(badDtype))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'ints'")
                .hasMessageContaining("I64");

        Path hugeLength = dir.resolve("huge.safetensors");
        Files.write(
                hugeLength,
                ByteBuffer.allocate(16)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(1L << 40)
                        .array());
        assertThatThrownBy(() -> SafetensorsFile.open(hugeLength))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(hugeLength.toString())
                .hasMessageContaining("header length");

        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[3]);
        assertThatThrownBy(() -> SafetensorsFile.open(tiny))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(tiny.toString());
    }

    @Test
    void directoryWithoutWeightsFails() {
        assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("model.safetensors");
    }

    /** A file with the given header and {@code dataBytes} zero bytes of data. */
    private Path writeRaw(String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bytes = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(json.length).put(json);
        Path file = Files.createTempFile(dir, "raw", ".safetensors");
        Files.write(file, bytes.array());
        return file;
    }
}
