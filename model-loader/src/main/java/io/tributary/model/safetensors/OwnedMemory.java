package io.tributary.model.safetensors;

import ai.djl.ndarray.NDArray;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Writing straight into the native memory of a CPU array the engine allocated. */
final class OwnedMemory {

    private OwnedMemory() {}

    /** A little-endian buffer over {@code array}'s own memory (a CPU array: PyTorch hands out its data pointer). */
    static ByteBuffer view(NDArray array) {
        long bytes = array.size() * array.getDataType().getNumOfBytes();
        ByteBuffer view = array.toByteBuffer(true);
        if (!view.isDirect() || view.capacity() != bytes) {
            throw new IllegalStateException(
                    "the engine gave no direct view of a " + bytes + "-byte array on " + array.getDevice());
        }
        return view.order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The last element as the array sees it must be the bytes just written, or the view was a copy. */
    static void checkLanded(NDArray array, ByteBuffer written) {
        int size = array.getDataType().getNumOfBytes();
        byte[] seen;
        try (NDArray flat = array.reshape(-1);
                NDArray last = flat.get(array.size() - 1)) {
            seen = last.toByteArray();
        }
        for (int i = 0; i < size; i++) {
            if (seen[i] != written.get(written.capacity() - size + i)) {
                throw new IllegalStateException("bytes written to the view of a " + array.getShape() + " array did"
                        + " not reach it: this engine does not expose tensor memory directly");
            }
        }
    }
}
