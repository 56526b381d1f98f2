package io.tributary.model.tiny;

import io.tributary.model.safetensors.SafetensorsDType;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A safetensors file of tensors given as raw little-endian bytes, any dtype: the project's writer takes float values
 * only, and an AWQ checkpoint also holds int32 ({@code qweight}, {@code qzeros}).
 */
public final class RawSafetensors {

    public record Entry(String name, SafetensorsDType dtype, long[] shape, byte[] bytes) {}

    private RawSafetensors() {}

    public static void write(Path file, List<Entry> entries) throws IOException {
        ObjectNode header = new ObjectMapper().createObjectNode();
        long offset = 0;
        for (Entry entry : entries) {
            ObjectNode tensor = header.putObject(entry.name());
            tensor.put("dtype", entry.dtype().name());
            var shape = tensor.putArray("shape");
            for (long dim : entry.shape()) {
                shape.add(dim);
            }
            tensor.putArray("data_offsets").add(offset).add(offset + entry.bytes().length);
            offset += entry.bytes().length;
        }
        header.putObject("__metadata__").put("format", "pt");
        StringBuilder text = new StringBuilder(header.toString());
        while (text.length() % 8 != 0) {
            text.append(' ');
        }
        byte[] json = text.toString().getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(json.length)
                    .array());
            out.write(json);
            for (Entry entry : entries) {
                out.write(entry.bytes());
            }
        }
    }

    public static byte[] int32s(int[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asIntBuffer().put(values);
        return bytes.array();
    }

    public static byte[] halves(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            bytes.putShort(io.tributary.model.safetensors.HalfFloats.toF16(value));
        }
        return bytes.array();
    }

    public static byte[] floats(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return bytes.array();
    }
}
