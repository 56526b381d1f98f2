package io.tributary.model.safetensors;

import io.tributary.model.ModelLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
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
