package io.tributary.model.tiny;

import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Random tensors for generated checkpoints. Each tensor draws from its own generator, seeded by the checkpoint seed
 * and the tensor's name, so adding a tensor never changes the others. Box-Muller with StrictMath on
 * SplittableRandom: all fully specified, unlike {@code Random.nextGaussian}'s algorithm choices across JDKs.
 */
record WeightFactory(SafetensorsDType type, long seed) {

    /** Normal with transformers' {@code initializer_range}, for a [rows, columns] matrix. */
    Tensor normal(String name, int rows, int columns) {
        return normal(name, TinyCheckpoints.INITIALIZER_RANGE, rows, columns);
    }

    Tensor normal(String name, double std, long... shape) {
        SplittableRandom random = random(name);
        float[] values = new float[count(shape)];
        for (int i = 0; i < values.length; i += 2) {
            double radius = StrictMath.sqrt(-2 * StrictMath.log(1 - random.nextDouble())) * std;
            double angle = 2 * Math.PI * random.nextDouble();
            values[i] = (float) (radius * StrictMath.cos(angle));
            if (i + 1 < values.length) {
                values[i + 1] = (float) (radius * StrictMath.sin(angle));
            }
        }
        return new Tensor(name, type, shape, values);
    }

    /** Uniform in [low, high). */
    Tensor uniform(String name, double low, double high, long... shape) {
        SplittableRandom random = random(name);
        float[] values = new float[count(shape)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (low + (high - low) * random.nextDouble());
        }
        return new Tensor(name, type, shape, values);
    }

    Tensor ones(String name, int size) {
        return filled(name, size, 1f);
    }

    Tensor zeros(String name, int size) {
        return filled(name, size, 0f);
    }

    private Tensor filled(String name, int size, float value) {
        float[] values = new float[size];
        Arrays.fill(values, value);
        return new Tensor(name, type, new long[] {size}, values);
    }

    private SplittableRandom random(String name) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + name.hashCode());
    }

    private static int count(long[] shape) {
        return Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
    }
}
