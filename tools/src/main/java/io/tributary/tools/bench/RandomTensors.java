package io.tributary.tools.bench;

import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter.StreamedTensor;

import java.util.Arrays;

/**
 * Tensors of random values produced while they are written: each tensor's values are a counter-based hash of (seed,
 * tensor name, index), so they depend only on those and never need to be held. Uniform with transformers' std 0.02
 * (norms and other constants as given), which keeps every activation of a benchmark model finite and far from
 * denormals: the values are meaningless, the shapes and the work are real.
 */
record RandomTensors(long seed, SafetensorsDType dtype) {

    private static final double STD = 0.02;

    /** Uniform on [-a, a) with a = std * sqrt(3), so the standard deviation is 0.02. */
    StreamedTensor random(String name, long... shape) {
        float halfWidth = (float) (STD * Math.sqrt(3));
        long stream = seed * 0x9E3779B97F4A7C15L + name.hashCode();
        return new StreamedTensor(name, dtype, shape, (offset, chunk, length) -> {
            for (int i = 0; i < length; i++) {
                chunk[i] = (unitInterval(stream, offset + i) * 2 - 1) * halfWidth;
            }
        });
    }

    StreamedTensor constant(String name, float value, long... shape) {
        return new StreamedTensor(name, dtype, shape, (offset, chunk, length) -> Arrays.fill(chunk, 0, length, value));
    }

    /** SplitMix64's finaliser of (stream, index): 24 uniform bits in [0, 1). */
    private static float unitInterval(long stream, long index) {
        long z = stream + (index + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 40) * 0x1.0p-24f;
    }
}
