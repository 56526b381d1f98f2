package io.tributary.model.tiny;

import io.tributary.model.safetensors.SafetensorsDType;

/**
 * The shape of a generated Llama checkpoint. The vocabulary is always {@link TinyTokenizer#VOCABULARY_SIZE}.
 *
 * @param weightType how weights are stored in {@code model.safetensors}
 */
public record TinyLlamaSpec(
        int hiddenSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int intermediateSize,
        int maxPositions,
        boolean tieWordEmbeddings,
        SafetensorsDType weightType) {

    public TinyLlamaSpec {
        if (hiddenSize % numHeads != 0 || (hiddenSize / numHeads) % 2 != 0) {
            throw new IllegalArgumentException(
                    "hidden size " + hiddenSize + " must split into " + numHeads + " heads of even size");
        }
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException(numHeads + " heads do not group into " + numKvHeads + " kv heads");
        }
        if (numLayers < 1 || intermediateSize < 1 || maxPositions < 1) {
            throw new IllegalArgumentException("layers, intermediate size and max positions must be positive");
        }
    }

    /**
     * A small text expert for benchmarks and text-only test mixtures: ~3.2 M parameters (13 MB in float32), small
     * enough to decode at interactive speed on two CPU cores, with the same head layout (GQA, head_dim 32) as real
     * small models.
     */
    public static TinyLlamaSpec small() {
        return new TinyLlamaSpec(256, 4, 8, 4, 704, 2048, false, SafetensorsDType.F32);
    }

    /** The smallest useful shape, for tests: hidden 64, 2 layers, 4 heads sharing 2 kv heads. */
    public static TinyLlamaSpec forTests() {
        return new TinyLlamaSpec(64, 2, 4, 2, 128, 256, false, SafetensorsDType.F32);
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }

    public TinyLlamaSpec withWeightType(SafetensorsDType type) {
        return new TinyLlamaSpec(
                hiddenSize, numLayers, numHeads, numKvHeads, intermediateSize, maxPositions, tieWordEmbeddings, type);
    }

    public TinyLlamaSpec withTiedEmbeddings(boolean tied) {
        return new TinyLlamaSpec(
                hiddenSize, numLayers, numHeads, numKvHeads, intermediateSize, maxPositions, tied, weightType);
    }
}
