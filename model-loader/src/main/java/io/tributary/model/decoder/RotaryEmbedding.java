package io.tributary.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.tributary.model.llama.LlamaConfig;

/**
 * Rotary position embeddings in transformers' half-split convention: dimension i of a head pairs with dimension
 * {@code i + headDim/2} (not with its neighbour), {@code rope(x) = x * cos + rotate_half(x) * sin} with
 * {@code rotate_half(x) = cat(-x2, x1)}. The cos/sin tables cover every position up front, so a decoding step only
 * gathers its rows, once per step, into one rotation matrix per row that every layer applies with one batched matmul.
 */
final class RotaryEmbedding {

    private final NDArray cos; // [maxPositions, 1, headDim]: cos(p * invFreq[i mod headDim/2])
    private final NDArray sin; // [maxPositions, 1, headDim]
    private final NDArray rotateHalf; // [headDim, headDim]: x @ rotateHalf == cat(-x2, x1)
    private final NDArray identity; // [headDim, headDim]

    RotaryEmbedding(LlamaConfig config, NDManager manager, DataType dataType) {
        int positions = config.maxPositionEmbeddings();
        int dim = config.headDim();
        int half = dim / 2;
        float[] invFreq = inverseFrequencies(config);
        float[] cosTable = new float[positions * dim];
        float[] sinTable = new float[positions * dim];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < dim; i++) {
                // Angle rounded to float32 first, as transformers computes it, so long contexts match it too.
                float angle = p * invFreq[i % half];
                cosTable[p * dim + i] = (float) Math.cos(angle);
                sinTable[p * dim + i] = (float) Math.sin(angle);
            }
        }
        float[] rotation = new float[dim * dim];
        for (int i = 0; i < half; i++) {
            rotation[(i + half) * dim + i] = -1f; // output i      <- -x[i + half]
            rotation[i * dim + i + half] = 1f; // output i+half <-  x[i]
        }
        Shape tableShape = new Shape(positions, 1, dim);
        this.cos = table(manager, cosTable, tableShape, dataType);
        this.sin = table(manager, sinTable, tableShape, dataType);
        this.rotateHalf = table(manager, rotation, new Shape(dim, dim), dataType);
        float[] eye = new float[dim * dim];
        for (int i = 0; i < dim; i++) {
            eye[i * dim + i] = 1f;
        }
        this.identity = table(manager, eye, new Shape(dim, dim), dataType);
    }

    private static NDArray table(NDManager manager, float[] values, Shape shape, DataType dataType) {
        NDArray floats = manager.create(values, shape);
        if (dataType == DataType.FLOAT32) {
            return floats;
        }
        try (floats) {
            return floats.toType(dataType, true);
        }
    }

    /** {@code 1 / theta^(2i/d)}, adjusted by {@code rope_scaling} as transformers' rope init functions do. */
    static float[] inverseFrequencies(LlamaConfig config) {
        int dim = config.headDim();
        float[] invFreq = new float[dim / 2];
        for (int i = 0; i < invFreq.length; i++) {
            float exponent = (float) (2 * i) / dim;
            invFreq[i] = 1f / (float) Math.pow(config.ropeTheta(), exponent);
        }
        config.ropeScaling().ifPresent(scaling -> {
            for (int i = 0; i < invFreq.length; i++) {
                invFreq[i] = switch (scaling.type()) {
                    case "linear" -> (float) (invFreq[i] / scaling.factor());
                    case "llama3" -> llama3Frequency(invFreq[i], scaling);
                    default -> throw new IllegalStateException("rope_scaling " + scaling.type());
                };
            }
        });
        return invFreq;
    }

    /** Llama 3.1: long wavelengths are slowed by {@code factor}, short ones kept, the band between blended. */
    private static float llama3Frequency(float invFreq, LlamaConfig.RopeScaling scaling) {
        double lowFreqWavelength = scaling.originalMaxPositionEmbeddings() / scaling.lowFreqFactor();
        double highFreqWavelength = scaling.originalMaxPositionEmbeddings() / scaling.highFreqFactor();
        double wavelength = 2 * Math.PI / invFreq;
        if (wavelength < highFreqWavelength) {
            return invFreq;
        }
        if (wavelength > lowFreqWavelength) {
            return (float) (invFreq / scaling.factor());
        }
        double smooth = (scaling.originalMaxPositionEmbeddings() / wavelength - scaling.lowFreqFactor())
                / (scaling.highFreqFactor() - scaling.lowFreqFactor());
        return (float) ((1 - smooth) * invFreq / scaling.factor() + smooth * invFreq);
    }

    /**
     * One rotation matrix per position in {@code positions} (int64 [N]): [N, headDim, headDim], owned by {@code step},
     * with {@code x @ R == x * cos + rotate_half(x) * sin}, i.e. {@code R = diag(cos) + rotateHalf · diag(sin)}.
     */
    NDArray rotations(NDArray positions, NDManager step) {
        NDIndex rows = new NDIndex("{}", positions);
        NDArray cosRows = cos.get(step, rows); // [N, 1, D]: scales the columns of the matrices below
        NDArray sinRows = sin.get(step, rows);
        return cosRows.mul(identity).add(sinRows.mul(rotateHalf)); // step arrays first: results stay the step's
    }

    /** Rotates {@code x} of shape [N, heads, headDim], row n by its position's matrix of {@code rotations}. */
    static NDArray apply(NDArray x, NDArray rotations) {
        return x.matMul(rotations);
    }
}
