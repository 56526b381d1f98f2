package io.tributary.model.safetensors;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes safetensors files in the layout the Hugging Face library produces: header entries in the given order,
 * the header padded with spaces to a multiple of 8 bytes, tensors back to back. The output depends only on the
 * arguments, so generated checkpoints are byte-for-byte reproducible.
 */
public final class SafetensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A tensor to write: float values stored as {@code dtype}, row-major in {@code shape}. */
    public record Tensor(String name, SafetensorsDType dtype, long[] shape, float[] values) {
        public Tensor {
            long count = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            if (count != values.length) {
                throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " holds " + count
                        + " values, got " + values.length);
            }
        }

        long byteLength() {
            return (long) values.length * dtype.bytes();
        }
    }

    private SafetensorsWriter() {
    }

    public static void write(Path file, List<Tensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Tensor tensor : tensors) {
            ObjectNode entry = header.putObject(tensor.name());
            entry.put("dtype", tensor.dtype().name());
            Arrays.stream(tensor.shape()).forEach(entry.putArray("shape")::add);
            entry.putArray("data_offsets").add(offset).add(offset + tensor.byteLength());
            offset += tensor.byteLength();
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(headerBytes);
            for (Tensor tensor : tensors) {
                out.write(encode(tensor));
            }
        }
    }

    /**
     * Splits tensors into shards of at most {@code maxShardBytes} (a larger tensor gets a shard of its own), named
     * like transformers' {@code model-00001-of-00002.safetensors}, plus {@code model.safetensors.index.json}.
     */
    public static void writeSharded(Path directory, List<Tensor> tensors, Map<String, String> metadata,
            long maxShardBytes) throws IOException {
        List<List<Tensor>> shards = new ArrayList<>();
        long shardBytes = 0;
        long totalBytes = 0;
        for (Tensor tensor : tensors) {
            if (shards.isEmpty() || shardBytes + tensor.byteLength() > maxShardBytes) {
                shards.add(new ArrayList<>());
                shardBytes = 0;
            }
            shards.get(shards.size() - 1).add(tensor);
            shardBytes += tensor.byteLength();
            totalBytes += tensor.byteLength();
        }
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", totalBytes);
        ObjectNode weightMap = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            write(directory.resolve(name), shards.get(i), metadata);
            shards.get(i).forEach(t -> weightMap.put(t.name(), name));
        }
        Files.writeString(directory.resolve(SafetensorsCheckpoint.INDEX_FILE),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index) + "\n");
    }

    private static byte[] encode(Tensor tensor) {
        float[] values = tensor.values();
        ByteBuffer bytes = ByteBuffer.allocate((int) tensor.byteLength()).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            switch (tensor.dtype()) {
                case F32 -> bytes.putFloat(value);
                case F16 -> bytes.putShort(HalfFloats.toF16(value));
                case BF16 -> bytes.putShort(HalfFloats.toBf16(value));
            }
        }
        return bytes.array();
    }
}
