package io.tributary.model.safetensors;

import java.util.Optional;

/** The element types this reader understands, by their safetensors header names. */
public enum SafetensorsDType {
    F32(4),
    F16(2),
    /** bfloat16: read by widening to F32 in Java, because DJL's PyTorch engine aborts the JVM on BF16 arrays. */
    BF16(2),
    /** int32: AWQ checkpoints pack eight 4-bit weights or zero points into each ({@code qweight}, {@code qzeros}). */
    I32(4);

    private final int bytes;

    SafetensorsDType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** The type named in a header ("F32", "BF16", ...), or empty for a type we do not read (I8, F64, ...). */
    public static Optional<SafetensorsDType> fromHeaderName(String name) {
        for (SafetensorsDType type : values()) {
            if (type.name().equals(name)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
