package io.tributary.model;

/**
 * An expert that holds native tensors and can count them: the weights, plus the KV caches of its open sessions.
 * Servers export the count as a metric, and tests check it returns to its baseline after requests end.
 */
public interface NativeMemory {

    /** Native arrays alive now. */
    int liveArrays();

    /** Bytes of KV cache allocated now for open sessions (0 when none is open). */
    default long kvCacheBytes() {
        return 0;
    }
}
