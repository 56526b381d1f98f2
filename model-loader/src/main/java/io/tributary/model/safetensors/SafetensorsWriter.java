package io.tributary.model.safetensors;

import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files in the layout the Hugging Face library produces: header entries in the given order,
 * the header padded with spaces to a multiple of 8 bytes, tensors back to back. The output depends only on the
 * arguments, so generated checkpoints are byte-for-byte reproducible. Tensors are encoded in chunks, and a
 * {@link StreamedTensor} produces its values chunk by chunk too, so a multi-gigabyte checkpoint is written without
 * ever holding a whole tensor in the heap.
 */
public final class SafetensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Values encoded per write: 4 MB of float32. */
    private static final int CHUNK_VALUES = 1 << 20;

    private static final int DATA_ALIGNMENT = 64;
    /** Bytes per write: a multiple of the 2 MB huge page. */
    private static final int WRITE_BLOCK = 8 << 20;

    /** Produces a tensor's values in row-major order, one chunk at a time. */
    @FunctionalInterface
    public interface ValueSource {
        /** Fills {@code chunk[0, length)} with the values at flat indices {@code [offset, offset + length)}. */
        void fill(long offset, float[] chunk, int length);
    }

    /** A tensor to write whose values come from {@code values} while it is written. */
    public record StreamedTensor(String name, SafetensorsDType dtype, long[] shape, ValueSource values) {
        public StreamedTensor {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public long elementCount() {
            return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        }

        public long byteLength() {
            return elementCount() * dtype.bytes();
        }
    }

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

        StreamedTensor streamed() {
            return new StreamedTensor(
                    name,
                    dtype,
                    shape,
                    (offset, chunk, length) -> System.arraycopy(values, (int) offset, chunk, 0, length));
        }
    }

    private SafetensorsWriter() {}

    public static void write(Path file, List<Tensor> tensors, Map<String, String> metadata) throws IOException {
        writeStreamed(file, tensors.stream().map(Tensor::streamed).toList(), metadata);
    }

    /** As {@link #write}, producing each tensor's values while writing it. */
    public static void writeStreamed(Path file, List<StreamedTensor> tensors, Map<String, String> metadata)
            throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (StreamedTensor tensor : tensors) {
            ObjectNode entry = header.putObject(tensor.name());
            entry.put("dtype", tensor.dtype().name());
            Arrays.stream(tensor.shape()).forEach(entry.putArray("shape")::add);
            entry.putArray("data_offsets").add(offset).add(offset + tensor.byteLength());
            offset += tensor.byteLength();
        }
        byte[] json = JSON.writeValueAsBytes(header);
        // Spaces pad the header so the data starts on a cache line: tensors whose sizes are multiples of 64 bytes
        // then start on one too, which the kernels reading a memory-mapped weight prefer.
        int padded = (8 + json.length + DATA_ALIGNMENT - 1) / DATA_ALIGNMENT * DATA_ALIGNMENT - 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        try (FileChannel channel = FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            BlockWriter out = new BlockWriter(channel);
            out.put(ByteBuffer.allocate(8)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(padded)
                    .flip());
            out.put(ByteBuffer.wrap(headerBytes));
            float[] chunk = new float[CHUNK_VALUES];
            ByteBuffer bytes = ByteBuffer.allocateDirect(CHUNK_VALUES * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (StreamedTensor tensor : tensors) {
                long count = tensor.elementCount();
                for (long done = 0; done < count; done += CHUNK_VALUES) {
                    int length = (int) Math.min(CHUNK_VALUES, count - done);
                    tensor.values().fill(done, chunk, length);
                    encode(tensor.dtype(), chunk, length, bytes.clear());
                    out.put(bytes.flip());
                }
            }
            out.flush();
        }
    }

    /**
     * Writes in whole blocks at block-aligned offsets. The page cache then holds the file in large folios, which a
     * later memory mapping maps with huge pages: on a virtual machine, reading weights through 4 KB pages was
     * measured 2-4x slower.
     */
    private static final class BlockWriter {
        private final FileChannel channel;
        private final ByteBuffer block = ByteBuffer.allocateDirect(WRITE_BLOCK);

        BlockWriter(FileChannel channel) {
            this.channel = channel;
        }

        void put(ByteBuffer bytes) throws IOException {
            while (bytes.hasRemaining()) {
                int length = Math.min(bytes.remaining(), block.remaining());
                block.put(block.position(), bytes, bytes.position(), length);
                block.position(block.position() + length);
                bytes.position(bytes.position() + length);
                if (!block.hasRemaining()) {
                    flush();
                }
            }
        }

        void flush() throws IOException {
            block.flip();
            while (block.hasRemaining()) {
                channel.write(block);
            }
            block.clear();
        }
    }

    /**
     * Splits tensors into shards of at most {@code maxShardBytes} (a larger tensor gets a shard of its own), named
     * like transformers' {@code model-00001-of-00002.safetensors}, plus {@code model.safetensors.index.json}.
     */
    public static void writeSharded(
            Path directory, List<Tensor> tensors, Map<String, String> metadata, long maxShardBytes) throws IOException {
        writeShardedStreamed(directory, tensors.stream().map(Tensor::streamed).toList(), metadata, maxShardBytes);
    }

    /** As {@link #writeSharded}, producing each tensor's values while writing it. */
    public static void writeShardedStreamed(
            Path directory, List<StreamedTensor> tensors, Map<String, String> metadata, long maxShardBytes)
            throws IOException {
        List<List<StreamedTensor>> shards = new ArrayList<>();
        long shardBytes = 0;
        long totalBytes = 0;
        for (StreamedTensor tensor : tensors) {
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
            writeStreamed(directory.resolve(name), shards.get(i), metadata);
            shards.get(i).forEach(t -> weightMap.put(t.name(), name));
        }
        Files.writeString(
                directory.resolve(SafetensorsCheckpoint.INDEX_FILE),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index) + "\n");
    }

    private static void encode(SafetensorsDType dtype, float[] values, int length, ByteBuffer bytes) {
        switch (dtype) {
            case F32 -> {
                bytes.asFloatBuffer().put(values, 0, length);
                bytes.position(length * 4);
            }
            case F16 -> {
                for (int i = 0; i < length; i++) {
                    bytes.putShort(HalfFloats.toF16(values[i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < length; i++) {
                    bytes.putShort(HalfFloats.toBf16(values[i]));
                }
            }
            case I32 -> throw new IllegalArgumentException("float values cannot be written as I32");
        }
    }
}
