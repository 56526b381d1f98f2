package io.tributary.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every position a session has seen, per layer. Preallocated and written in place with
 * {@code set(NDIndex)}: growing by {@code concat} copies the whole cache on every token. Capacity grows in chunks,
 * so a short request never allocates {@code max_position_embeddings} positions.
 */
final class KvCache implements AutoCloseable {

    static final int CHUNK_POSITIONS = 256;

    private final NDManager manager;
    private final DataType dataType;
    private final int kvHeads;
    private final int headDim;
    private final int maxPositions;
    // Position-major, so a step's new keys [T, kvHeads, headDim] are written without a transpose.
    private final NDArray[] keys;   // per layer [capacity, kvHeads, headDim]
    private final NDArray[] values; // per layer [capacity, kvHeads, headDim]
    private int capacity;

    /** @param manager the session's manager: the cache lives exactly as long as the session */
    KvCache(LlamaConfig config, NDManager manager, DataType dataType) {
        this.manager = manager;
        this.dataType = dataType;
        this.kvHeads = config.numKeyValueHeads();
        this.headDim = config.headDim();
        this.maxPositions = config.maxPositionEmbeddings();
        this.keys = new NDArray[config.numHiddenLayers()];
        this.values = new NDArray[config.numHiddenLayers()];
    }

    int capacity() {
        return capacity;
    }

    /** Makes room for {@code positions} positions, copying what is cached into larger arrays if needed. */
    void ensureCapacity(int positions) {
        if (positions <= capacity) {
            return;
        }
        if (positions > maxPositions) {
            throw new IllegalStateException("context of " + positions + " positions exceeds max_position_embeddings "
                    + maxPositions);
        }
        int grown = Math.min(maxPositions, (positions + CHUNK_POSITIONS - 1) / CHUNK_POSITIONS * CHUNK_POSITIONS);
        for (int layer = 0; layer < keys.length; layer++) {
            keys[layer] = grow(keys[layer], grown);
            values[layer] = grow(values[layer], grown);
        }
        capacity = grown;
    }

    private NDArray grow(NDArray old, int newCapacity) {
        NDArray grown = manager.create(new Shape(newCapacity, kvHeads, headDim), dataType);
        if (old != null) {
            try (old) {
                grown.set(new NDIndex().addSliceDim(0, capacity), old);
            }
        }
        return grown;
    }

    /** Stores keys and values [T, kvHeads, headDim] of positions {@code [start, start + T)}. */
    void write(int layer, int start, NDArray newKeys, NDArray newValues) {
        long length = newKeys.getShape().get(0);
        NDIndex positions = new NDIndex().addSliceDim(start, start + length);
        keys[layer].set(positions, newKeys);
        values[layer].set(positions, newValues);
    }

    /** Keys of positions {@code [0, length)}: a view [length, kvHeads, headDim] owned by {@code step}. */
    NDArray keys(int layer, int length, NDManager step) {
        return keys[layer].get(step, new NDIndex().addSliceDim(0, length));
    }

    /** Values of positions {@code [0, length)}: a view [length, kvHeads, headDim] owned by {@code step}. */
    NDArray values(int layer, int length, NDManager step) {
        return values[layer].get(step, new NDIndex().addSliceDim(0, length));
    }

    @Override
    public void close() {
        for (int layer = 0; layer < keys.length; layer++) {
            if (keys[layer] != null) {
                keys[layer].close();
                values[layer].close();
            }
        }
        capacity = 0;
    }
}
