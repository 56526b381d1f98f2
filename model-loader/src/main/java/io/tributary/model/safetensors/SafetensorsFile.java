package io.tributary.model.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.tributary.model.ModelLoadException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * One {@code .safetensors} file: an 8-byte little-endian header length, a JSON header mapping each tensor name to
 * {@code dtype}, {@code shape} and {@code data_offsets} (relative to the end of the header), then raw
 * little-endian bytes. Tensors are memory-mapped one by one, so files above 2 GB work and nothing is read twice.
 */
public final class SafetensorsFile {

    /** The reference implementation refuses larger headers; so do we, before allocating anything. */
    private static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Tensors above this size are read by several threads, one part of at least this size each. */
    private static final int PARALLEL_PART = 4 << 20;

    private final Path file;
    private final long fileSize;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path file, long fileSize, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.file = file;
        this.fileSize = fileSize;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Reads and validates the header; tensor bytes are only mapped when asked for. */
    public static SafetensorsFile open(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw new ModelLoadException(file + ": truncated safetensors file (" + fileSize + " bytes, no header)");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || 8 + headerLength > fileSize) {
                throw new ModelLoadException(file + ": bad safetensors header length " + headerLength
                        + " for a file of " + fileSize + " bytes (truncated or not a safetensors file)");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, 8);
            String headerText = new String(headerBytes.array(), StandardCharsets.UTF_8);
            return parse(file, fileSize, 8 + headerLength, headerText);
        } catch (IOException e) {
            throw new ModelLoadException(file + ": cannot read safetensors file: " + e.getMessage(), e);
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer target, long position) throws IOException {
        while (target.hasRemaining()) {
            int read = channel.read(target, position + target.position());
            if (read < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    private static SafetensorsFile parse(Path file, long fileSize, long dataStart, String headerText) {
        JsonNode header;
        try {
            header = JSON.readTree(headerText);
        } catch (JacksonException e) {
            throw new ModelLoadException(file + ": safetensors header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (!header.isObject()) {
            throw new ModelLoadException(file + ": safetensors header is not a JSON object");
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : header.properties()) {
            if (entry.getKey().equals("__metadata__")) {
                entry.getValue().properties().forEach(m -> metadata.put(m.getKey(),
                        m.getValue().isString() ? m.getValue().stringValue() : m.getValue().toString()));
            } else {
                TensorInfo info = parseTensor(file, fileSize, dataStart, entry.getKey(), entry.getValue());
                tensors.put(info.name(), info);
            }
        }
        return new SafetensorsFile(file, fileSize, Collections.unmodifiableMap(tensors),
                Collections.unmodifiableMap(metadata));
    }

    private static TensorInfo parseTensor(Path file, long fileSize, long dataStart, String name, JsonNode node) {
        String where = file + ": tensor '" + name + "'";
        String dtypeName = node.path("dtype").asString("");
        SafetensorsDType dtype = SafetensorsDType.fromHeaderName(dtypeName).orElseThrow(() ->
                new ModelLoadException(where + " has unsupported dtype '" + dtypeName + "' (F32, F16, BF16 only)"));
        JsonNode shapeNode = node.path("shape");
        JsonNode offsets = node.path("data_offsets");
        if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
            throw new ModelLoadException(where + " has a malformed header entry: " + node);
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!shapeNode.get(i).isIntegralNumber() || shapeNode.get(i).asLong() < 0) {
                throw new ModelLoadException(where + " has a bad shape " + shapeNode);
            }
            shape[i] = shapeNode.get(i).asLong();
        }
        long begin = offsets.get(0).asLong(-1);
        long end = offsets.get(1).asLong(-1);
        if (begin < 0 || end < begin) {
            throw new ModelLoadException(where + " has bad data_offsets " + offsets);
        }
        TensorInfo info = new TensorInfo(name, file, dtype, shape, dataStart + begin, dataStart + end);
        if (info.byteLength() != info.elementCount() * dtype.bytes()) {
            throw new ModelLoadException(where + " spans " + info.byteLength() + " bytes but its shape and dtype need "
                    + info.elementCount() * dtype.bytes());
        }
        if (info.end() > fileSize) {
            throw new ModelLoadException(where + " ends at byte " + info.end() + " beyond the end of the file ("
                    + fileSize + " bytes): the file is truncated");
        }
        return info;
    }

    /** The tensor's bytes, mapped read-only and little-endian; valid as long as the buffer is reachable. */
    public ByteBuffer map(TensorInfo info) {
        if (!info.file().equals(file) || tensors.get(info.name()) == null) {
            throw new IllegalArgumentException(info + " does not belong to " + file);
        }
        if (info.byteLength() == 0) {
            return ByteBuffer.allocateDirect(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            if (channel.size() < info.end()) {
                throw new ModelLoadException(info.file() + ": tensor '" + info.name() + "' ends beyond the end of the"
                        + " file, which shrank to " + channel.size() + " bytes since its header was read");
            }
            return channel.map(FileChannel.MapMode.READ_ONLY, info.begin(), info.byteLength())
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new ModelLoadException(file + ": cannot map tensor '" + info.name() + "': " + e.getMessage(), e);
        }
    }

    /**
     * The tensor's bytes read into a new array of {@code type} (whose element size must match the stored one),
     * owned by {@code manager}: one positional read from the file into the array's native memory, no mapping and
     * no Java-heap copy, so the memory is freed as soon as the array is closed.
     */
    public NDArray read(TensorInfo info, NDManager manager, DataType type) {
        if (!info.file().equals(file) || tensors.get(info.name()) == null) {
            throw new IllegalArgumentException(info + " does not belong to " + file);
        }
        if (info.byteLength() > Integer.MAX_VALUE) {
            // A direct buffer holds at most 2 GB: alias the mapping instead (read-only; kept alive by the array).
            return manager.create(map(info), new Shape(info.shape()), type);
        }
        NDArray array = manager.create(new Shape(info.shape()), type);
        try {
            if (info.byteLength() == 0) {
                return array;
            }
            // On CPU, tryDirect gives a buffer over the tensor's own memory: the read lands in the array.
            ByteBuffer target = array.toByteBuffer(true);
            if (!target.isDirect() || target.capacity() != info.byteLength()) {
                throw new IllegalStateException("the engine gave no direct view of a " + info.byteLength()
                        + "-byte array");
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                readInParallel(channel, info, target);
            }
            checkLanded(info, array, target);
            return array;
        } catch (IOException | UncheckedIOException e) {
            array.close();
            throw new ModelLoadException(file + ": cannot read tensor '" + info.name() + "': " + e.getMessage(), e);
        } catch (RuntimeException e) {
            array.close();
            throw e;
        }
    }

    /**
     * Fills {@code target} with the tensor's bytes. A large tensor is read in parts by several threads at once:
     * the cost of a read into fresh memory is the kernel handing out its pages (on a virtual machine measured at
     * 0.27 GB/s for one thread, 9 GB/s into pages already touched), and that work runs in parallel.
     */
    private void readInParallel(FileChannel channel, TensorInfo info, ByteBuffer target) {
        int length = target.capacity();
        int parts = (int) Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), length / PARALLEL_PART));
        int step = (length / parts + 4095) / 4096 * 4096; // page-aligned parts: no page is faulted by two threads
        IntStream.range(0, parts).parallel().forEach(part -> {
            int from = part * step;
            ByteBuffer slice = target.slice(from, Math.max(0, Math.min(length, from + step) - from));
            try {
                while (slice.hasRemaining()) {
                    if (channel.read(slice, info.begin() + from + slice.position()) < 0) {
                        throw new ModelLoadException(file + ": tensor '" + info.name() + "' ends beyond the end of"
                                + " the file, which shrank since its header was read");
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** The last element as the array sees it must be the bytes just read, or the view was a copy. */
    private void checkLanded(TensorInfo info, NDArray array, ByteBuffer read) {
        int size = info.dtype().bytes();
        long count = info.elementCount();
        byte[] seen;
        try (NDArray flat = array.reshape(-1); NDArray last = flat.get(count - 1)) {
            seen = last.toByteArray();
        }
        for (int i = 0; i < size; i++) {
            if (seen[i] != read.get((int) (info.byteLength() - size + i))) {
                throw new IllegalStateException(file + ": tensor '" + info.name() + "' was read into a copy of the"
                        + " array, not the array: this engine does not expose tensor memory directly");
            }
        }
    }

    public Path path() {
        return file;
    }

    public long size() {
        return fileSize;
    }

    /** Tensors in header order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The optional {@code __metadata__} string map (e.g. {@code format: pt}). */
    public Map<String, String> metadata() {
        return metadata;
    }
}
