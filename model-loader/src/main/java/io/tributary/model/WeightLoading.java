package io.tributary.model;

/**
 * How checkpoint tensors become the model's weights. Either way a tensor that must be converted (BF16 widened, F32
 * halved) or rewritten (projections fused) is computed into memory the model owns.
 */
public enum WeightLoading {
    /**
     * Tensors stored in the type the model computes in are used where they lie: the file is memory-mapped and the
     * weights are its page-cache pages, so loading from a warm page cache copies nothing and several processes
     * serving one checkpoint share one copy. Clean file pages can be reclaimed under memory pressure and are read
     * back from disk when next touched, as with llama.cpp's default. The files must not be rewritten or truncated
     * while they are served. Closing a model unmaps its files when the garbage collector next frees the mappings
     * (Java offers no explicit unmap); until then their pages count as file-backed, reclaimable memory.
     */
    MMAP,
    /**
     * Every tensor is read into anonymous memory the process owns: slower to load, but the weights stay resident
     * whatever the page cache does (there is no swap in most containers).
     */
    READ
}
