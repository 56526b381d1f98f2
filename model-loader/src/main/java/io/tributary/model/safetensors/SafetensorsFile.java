package io.tributary.model.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.tributary.model.ModelLoadException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * One {@code .safetensors} file: an 8-byte little-endian header length, a JSON header mapping each tensor name to
 * {@code dtype}, {@code shape} and {@code data_offsets} (relative to the end of the header), then raw
 * little-endian bytes. Tensors are mapped or read one by one, so files above 2 GB work.
 */
public final class SafetensorsFile {

    /** The reference implementation refuses larger headers; so do we, before allocating anything. */
    private static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Tensors above this size are read by several threads, one part of at least this size each. */
    private static final int PARALLEL_PART = 4 << 20;
    /** BF16 bytes widened per read. */
    private static final int WIDEN_CHUNK = 1 << 20;

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
        int start = target.position();
        while (target.hasRemaining()) {
            if (channel.read(target, position + target.position() - start) < 0) {
                throw new IOException("unexpected end of file (the file shrank since its header was read)");
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
                entry.getValue()
                        .properties()
                        .forEach(m -> metadata.put(
                                m.getKey(),
                                m.getValue().isString()
                                        ? m.getValue().stringValue()
                                        : m.getValue().toString()));
            } else {
                TensorInfo info = parseTensor(file, fileSize, dataStart, entry.getKey(), entry.getValue());
                tensors.put(info.name(), info);
            }
        }
        return new SafetensorsFile(
                file, fileSize, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static TensorInfo parseTensor(Path file, long fileSize, long dataStart, String name, JsonNode node) {
        String where = file + ": tensor '" + name + "'";
        String dtypeName = node.path("dtype").asString("");
        SafetensorsDType dtype = SafetensorsDType.fromHeaderName(dtypeName)
                .orElseThrow(() -> new ModelLoadException(
                        where + " has unsupported dtype '" + dtypeName + "' (F32, F16, BF16, I32 only)"));
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
    public MappedByteBuffer map(TensorInfo info) {
        checkOwn(info);
        checkAddressable(info);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            if (channel.size() < info.end()) {
                throw new ModelLoadException(info.file() + ": tensor '" + info.name() + "' ends beyond the end of the"
                        + " file, which shrank to " + channel.size() + " bytes since its header was read");
            }
            MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, info.begin(), info.byteLength());
            mapped.order(ByteOrder.LITTLE_ENDIAN);
            return mapped;
        } catch (IOException e) {
            throw new ModelLoadException(file + ": cannot map tensor '" + info.name() + "': " + e.getMessage(), e);
        }
    }

    /**
     * The tensor as an array of {@code type} (whose element size must match the stored one) over the file's
     * mapped pages, owned by {@code manager}: nothing is copied. The pages are faulted in here, so loading and not
     * the first request pays for it. The mapping lives as long as the array; views of it must not outlive it.
     * Read-only: an in-place op on it kills the process.
     */
    public NDArray alias(TensorInfo info, NDManager manager, DataType type) {
        if (info.byteLength() == 0) {
            return read(info, manager, type);
        }
        MappedByteBuffer mapped = map(info);
        mapped.load();
        return manager.create(mapped, new Shape(info.shape()), type);
    }

    /**
     * The tensor's bytes read into a new array of {@code type} (whose element size must match the stored one),
     * owned by {@code manager} (on the CPU): one positional read from the file into the array's native memory, no
     * mapping and no Java-heap copy, so the memory is freed as soon as the array is closed.
     */
    public NDArray read(TensorInfo info, NDManager manager, DataType type) {
        checkOwn(info);
        checkAddressable(info);
        NDArray array = manager.create(new Shape(info.shape()), type);
        try {
            if (info.byteLength() > 0) {
                ByteBuffer target = OwnedMemory.view(array);
                readInto(info, target);
                OwnedMemory.checkLanded(array, target);
            }
            return array;
        } catch (RuntimeException e) {
            array.close();
            throw e;
        }
    }

    /**
     * A BF16 tensor widened to a new float32 array owned by {@code manager} (on the CPU). bfloat16 is the top half
     * of a float32, so shifting its 16 bits up reproduces the value exactly. The file is read in chunks into a
     * small buffer: neither a mapping nor a second full-size copy is left behind.
     */
    public NDArray readWidened(TensorInfo info, NDManager manager) {
        checkOwn(info);
        if (info.dtype() != SafetensorsDType.BF16) {
            throw new IllegalArgumentException(info + " is not BF16");
        }
        if (info.elementCount() * 4 > Integer.MAX_VALUE) {
            throw new ModelLoadException(file + ": tensor '" + info.name() + "' is too large to widen from BF16 ("
                    + info.elementCount() + " elements; at most 2 GiB of float32 per tensor)");
        }
        NDArray array = manager.create(new Shape(info.shape()), DataType.FLOAT32);
        try {
            if (info.byteLength() > 0) {
                ByteBuffer target = OwnedMemory.view(array);
                ByteBuffer chunk = ByteBuffer.allocateDirect(WIDEN_CHUNK).order(ByteOrder.LITTLE_ENDIAN);
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                    for (long done = 0; done < info.byteLength(); done += chunk.limit()) {
                        chunk.clear().limit((int) Math.min(WIDEN_CHUNK, info.byteLength() - done));
                        readFully(channel, chunk, info.begin() + done);
                        chunk.flip();
                        int out = (int) (done * 2);
                        for (int i = 0; i < chunk.limit(); i += 2) {
                            target.putInt(out + 2 * i, (chunk.getShort(i) & 0xFFFF) << 16);
                        }
                    }
                }
                OwnedMemory.checkLanded(array, target);
            }
            return array;
        } catch (IOException e) {
            array.close();
            throw new ModelLoadException(file + ": cannot read tensor '" + info.name() + "': " + e.getMessage(), e);
        } catch (RuntimeException e) {
            array.close();
            throw e;
        }
    }

    /**
     * Fills {@code target} (exactly the tensor's size) with the tensor's bytes. A large tensor is read in parts by
     * several threads at once: the cost of a read into fresh memory is the kernel handing out its pages (on a
     * virtual machine measured at 0.27 GB/s for one thread, 9 GB/s into pages already touched), and that work runs
     * in parallel.
     */
    public void readInto(TensorInfo info, ByteBuffer target) {
        checkOwn(info);
        if (target.capacity() != info.byteLength()) {
            throw new IllegalArgumentException(
                    info + " needs " + info.byteLength() + " bytes, the target has " + target.capacity());
        }
        int length = target.capacity();
        int parts = (int) Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), length / PARALLEL_PART));
        int step = (length / parts + 4095) / 4096 * 4096; // page-aligned parts: no page is faulted by two threads
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            IntStream.range(0, parts).parallel().forEach(part -> {
                int from = part * step;
                ByteBuffer slice = target.slice(from, Math.max(0, Math.min(length, from + step) - from));
                try {
                    readFully(channel, slice, info.begin() + from);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            throw new ModelLoadException(file + ": cannot read tensor '" + info.name() + "': " + e.getMessage(), e);
        }
    }

    private void checkOwn(TensorInfo info) {
        if (!info.file().equals(file) || tensors.get(info.name()) == null) {
            throw new IllegalArgumentException(info + " does not belong to " + file);
        }
    }

    /** Java buffers, mapped or direct, address at most 2 GiB; no tensor of the supported families is larger. */
    private static void checkAddressable(TensorInfo info) {
        if (info.byteLength() > Integer.MAX_VALUE) {
            throw new ModelLoadException(info.file() + ": tensor '" + info.name() + "' is " + info.byteLength()
                    + " bytes; tensors over 2 GiB are not supported");
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
