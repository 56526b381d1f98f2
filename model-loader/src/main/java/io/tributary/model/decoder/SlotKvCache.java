package io.tributary.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.tributary.model.llama.LlamaConfig;

import java.util.BitSet;

/**
 * Keys and values of every sequence one decoder is running, per layer {@code [slots, kvHeads, capacity, headDim]}:
 * a sequence keeps one slot from its first step to its last, its positions are written in place with
 * {@code index_put_}, and a batched decode step attends over a range of slots at once with a mask for their
 * ragged lengths. A sequence joining or leaving touches only its own slot: nothing is copied.
 *
 * <p>Both dimensions grow on demand by doubling (positions in whole chunks of {@value #CHUNK_POSITIONS}); a growth
 * copies the cache once into larger arrays, and a prompt reserves its whole length at its first chunk, so a long
 * prefill grows the cache once, not once a chunk. The arrays are zero-initialised, because masked positions still
 * enter the attention matmuls as {@code 0 × value}, and freed as soon as no slot is in use, so an idle decoder holds
 * no cache. Not thread-safe: the {@link BatchDecoder} that owns it serialises access.
 */
final class SlotKvCache implements AutoCloseable {

    static final int CHUNK_POSITIONS = 256;
    private static final int MIN_SLOTS = 1;

    private final NDManager parent;
    private final DataType dataType;
    private final int kvHeads;
    private final int headDim;
    private final int maxPositions;
    private final int layers;
    private final BitSet used = new BitSet();
    private NDManager manager; // owns the arrays below; null while no slot is in use
    private NDArray[] keys; // per layer [slots, kvHeads, capacity, headDim]
    private NDArray[] values; // per layer [slots, kvHeads, capacity, headDim]
    private int slots;
    private int capacity;

    /** @param parent the decoder's manager: the cache's arrays live in a child of it */
    SlotKvCache(LlamaConfig config, NDManager parent, DataType dataType) {
        this.parent = parent;
        this.dataType = dataType;
        this.kvHeads = config.numKeyValueHeads();
        this.headDim = config.headDim();
        this.maxPositions = config.maxPositionEmbeddings();
        this.layers = config.numHiddenLayers();
    }

    /** Bytes one position of one sequence takes: keys and values of every layer. */
    static long bytesPerPosition(LlamaConfig config, DataType dataType) {
        return 2L * config.numHiddenLayers() * config.numKeyValueHeads() * config.headDim() * dataType.getNumOfBytes();
    }

    /** Takes the lowest free slot, so the slots in use stay packed at the front and batched ranges stay short. */
    int acquire() {
        int slot = used.nextClearBit(0);
        used.set(slot);
        return slot;
    }

    /** Gives a slot back; when it was the last one in use, the cache's memory is freed. */
    void release(int slot) {
        used.clear(slot);
        if (used.isEmpty()) {
            close();
        }
    }

    int capacity() {
        return capacity;
    }

    /** Bytes the cache's arrays take now. */
    long allocatedBytes() {
        return (long) slots * capacity * kvHeads * headDim * dataType.getNumOfBytes() * 2L * layers;
    }

    /** Makes room for slots {@code [0, slotCount)} holding {@code positions} positions each. */
    void ensure(int slotCount, int positions) {
        if (positions > maxPositions) {
            throw new IllegalStateException(
                    "context of " + positions + " positions exceeds max_position_embeddings " + maxPositions);
        }
        if (slotCount <= slots && positions <= capacity) {
            return;
        }
        int newSlots = Math.max(slots, MIN_SLOTS);
        while (newSlots < slotCount) {
            newSlots *= 2;
        }
        // Capacity doubles (a growth copies the whole cache, so it must stay rare), in whole chunks.
        int newCapacity = capacity;
        if (positions > capacity) {
            int chunks = (positions + CHUNK_POSITIONS - 1) / CHUNK_POSITIONS * CHUNK_POSITIONS;
            newCapacity = Math.min(maxPositions, Math.max(chunks, 2 * capacity));
        }
        if (manager == null) {
            manager = parent.newSubManager();
            keys = new NDArray[layers];
            values = new NDArray[layers];
        }
        Shape shape = new Shape(newSlots, kvHeads, newCapacity, headDim);
        for (int layer = 0; layer < layers; layer++) {
            keys[layer] = grow(keys[layer], shape);
            values[layer] = grow(values[layer], shape);
        }
        slots = newSlots;
        capacity = newCapacity;
    }

    private NDArray grow(NDArray old, Shape shape) {
        NDArray grown = manager.zeros(shape, dataType);
        if (old != null) {
            try (old) {
                grown.set(new NDIndex().addSliceDim(0, slots).addAllDim().addSliceDim(0, capacity), old);
            }
        }
        return grown;
    }

    /**
     * Stores keys and values [N, kvHeads, headDim] of N rows at {@code rows}: an index of each row's slot and
     * position, {@code (slot[N], :, position[N])}.
     */
    void write(int layer, NDIndex rows, NDArray newKeys, NDArray newValues) {
        keys[layer].set(rows, newKeys);
        values[layer].set(rows, newValues);
    }

    /** Keys of slots {@code [from, to)}, positions {@code [0, length)}: a view [to-from, kvHeads, length, headDim]. */
    NDArray keys(int layer, int from, int to, int length, NDManager scope) {
        return keys[layer].get(
                scope, new NDIndex().addSliceDim(from, to).addAllDim().addSliceDim(0, length));
    }

    /** Values of slots {@code [from, to)}, positions {@code [0, length)}: a view like {@link #keys(int, int, int, int, NDManager)}. */
    NDArray values(int layer, int from, int to, int length, NDManager scope) {
        return values[layer].get(
                scope, new NDIndex().addSliceDim(from, to).addAllDim().addSliceDim(0, length));
    }

    /** Keys of the given slots (int64 [C]), positions {@code [0, length)}: a copy [C, kvHeads, length, headDim]. */
    NDArray keysOfSlots(int layer, NDArray slots, int length, NDManager scope) {
        return keys[layer].get(scope, new NDIndex("{}, :, :" + length, slots));
    }

    /** Values of the given slots, as {@link #keysOfSlots}. */
    NDArray valuesOfSlots(int layer, NDArray slots, int length, NDManager scope) {
        return values[layer].get(scope, new NDIndex("{}, :, :" + length, slots));
    }

    /** Keys of one slot, positions {@code [0, length)}: a view [kvHeads, length, headDim]. */
    NDArray keys(int layer, int slot, int length, NDManager scope) {
        return keys[layer].get(scope, new NDIndex().addIndices(slot).addAllDim().addSliceDim(0, length));
    }

    /** Values of one slot, positions {@code [0, length)}: a view [kvHeads, length, headDim]. */
    NDArray values(int layer, int slot, int length, NDManager scope) {
        return values[layer].get(
                scope, new NDIndex().addIndices(slot).addAllDim().addSliceDim(0, length));
    }

    /** Frees the arrays (the slots in use, if any, then hold nothing until the next {@link #ensure}). */
    @Override
    public void close() {
        if (manager != null) {
            manager.close();
            manager = null;
            keys = null;
            values = null;
        }
        slots = 0;
        capacity = 0;
    }
}
