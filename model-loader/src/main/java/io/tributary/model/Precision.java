package io.tributary.model;

/** Element type of weights, activations and KV caches. */
public enum Precision {
    /**
     * Chosen per checkpoint at load ({@link AutoPrecision}): the type the checkpoint is stored in where the device
     * computes in it, else the fastest half type it has; a float32 checkpoint stays float32.
     */
    AUTO,
    /** Exact enough to compare against reference implementations within 1e-4. */
    FP32,
    /** Half the memory; meant for GPUs (slow on most CPUs). */
    FP16,
    /**
     * The decoder's linear layers and token embedding in bfloat16, multiplied by oneDNN's bf16 kernels (native on
     * CPUs with AVX512-BF16); activations, norms and the KV cache stay float32.
     */
    BF16
}
