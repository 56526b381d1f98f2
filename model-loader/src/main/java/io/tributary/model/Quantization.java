package io.tributary.model;

/**
 * Weight-only quantisation of an expert's linear layers, as vLLM's {@code --quantization}: the weights are rounded
 * to fewer bits at load, the activations stay in their precision. Embeddings, norms and biases are not quantised.
 */
public enum Quantization {
    /** Weights in the expert's precision. */
    NONE,
    /** 8 bits, one symmetric scale per output row. */
    INT8,
    /** 4 bits, one scale per group of input features (the group size a setting). */
    INT4
}
