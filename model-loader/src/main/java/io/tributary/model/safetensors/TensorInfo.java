package io.tributary.model.safetensors;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * One entry of a safetensors header: where the tensor's bytes lie in {@code file}.
 *
 * @param begin offset of the first byte, relative to the start of the file (header already skipped)
 * @param end   offset one past the last byte, relative to the start of the file
 */
public record TensorInfo(String name, Path file, SafetensorsDType dtype, long[] shape, long begin, long end) {

    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        long count = 1;
        for (long dim : shape) {
            count *= dim;
        }
        return count;
    }

    public long byteLength() {
        return end - begin;
    }

    /** Rows {@code [from, to)} of the first axis: a tensor of the same name whose bytes are part of this one's. */
    public TensorInfo rows(long from, long to) {
        if (shape.length == 0 || from < 0 || to > shape[0] || from >= to) {
            throw new IllegalArgumentException("rows " + from + ".." + to + " of " + this);
        }
        long rowBytes = byteLength() / shape[0];
        long[] part = shape.clone();
        part[0] = to - from;
        return new TensorInfo(name, file, dtype, part, begin + from * rowBytes, begin + to * rowBytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t
                && name.equals(t.name)
                && file.equals(t.file)
                && dtype == t.dtype
                && Arrays.equals(shape, t.shape)
                && begin == t.begin
                && end == t.end;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " in " + file;
    }
}
