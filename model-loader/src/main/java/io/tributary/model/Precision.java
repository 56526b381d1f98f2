package io.tributary.model;

/** Element type of weights, activations and KV caches. */
public enum Precision {
    /** The CPU default: exact enough to compare against reference implementations within 1e-4. */
    FP32,
    /** Half the memory; meant for GPUs (slow on most CPUs). */
    FP16,
    /**
     * The decoder's linear layers in bfloat16, multiplied by oneDNN's bf16 kernels (native on CPUs with
     * AVX512-BF16); activations, norms, embeddings and the KV cache stay float32.
     */
    BF16
}
