package io.tributary.model.vision;

import ai.djl.ndarray.NDManager;

/**
 * One encoder run kept by the {@link EncoderCache}: its arrays live in its own manager, which only this object
 * closes. Readers copy out under the object's lock, so an eviction never closes arrays a copy is reading.
 */
final class CachedEncoding {

    private final NDManager manager;
    private final TowerOutputs outputs;
    private final long bytes;
    private boolean closed;

    CachedEncoding(NDManager manager, TowerOutputs outputs) {
        this.manager = manager;
        this.outputs = outputs;
        this.bytes = outputs.bytes();
    }

    boolean covers(TowerNeeds needs) {
        return outputs.covers(needs);
    }

    long bytes() {
        return bytes;
    }

    /** Deep copies owned by {@code step}; null if this encoding was evicted meanwhile (the caller looks again). */
    synchronized TowerOutputs copyInto(NDManager step) {
        return closed ? null : outputs.copyInto(step);
    }

    synchronized int liveArrays() {
        return closed ? 0 : manager.getManagedArrays().size();
    }

    synchronized void close() {
        if (!closed) {
            closed = true;
            manager.close();
        }
    }
}
