package io.tributary.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.tributary.model.kernel.Kernels;
import io.tributary.model.llama.LlamaConfig;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Keys and values of every sequence one decoder is running, in fixed-size blocks of {@code blockPositions} positions
 * taken from one pool, per layer {@code [kvHeads, blocks, blockPositions, headDim]}, as vLLM's PagedAttention keeps
 * them (heads first, so that a sequence's gathered blocks are already one run of positions per head). A sequence holds
 * a {@link BlockTable}, the blocks of its positions in order; it takes a block when its positions reach one, so a long
 * prompt takes only its own blocks and no other sequence's cache grows or moves. Attention gathers a sequence's blocks
 * into one contiguous run (see {@link Attention}).
 *
 * <p>Block 0 is never handed out: it stays zero and pads the block tables of shorter sequences in a batch, whose
 * positions there are masked. Masked positions still enter the attention matmuls as {@code 0 × value}, so the pool
 * is zero-initialised and only ever holds finite values.
 *
 * <p>Prefix reuse: a full block can be registered under its {@link BlockKey}; when the last sequence holding it
 * ends, it is kept, evictable, and a later sequence whose prompt starts with the same blocks adopts them instead of
 * computing them again. Adopted blocks are only read: a sequence writes only positions past those it adopted. A block
 * is also registered under the partial keys of its first positions, so that a prompt that ends inside it (the same
 * question again, whose last block the answer filled) can reuse those positions too: the sequence shares the block
 * until it first writes there, and then gets a copy of it, whose later positions it overwrites (copy on write, as
 * SGLang's radix cache reuses to the position); a sequence that ends before writing, as a repeated prompt answered
 * in one token does, copies nothing. At
 * most {@code maxCachedBlocks} blocks are kept that no sequence holds, least recently used evicted first.
 *
 * <p>The pool grows by doubling when no block is free (one copy of the pool, rare after the first steps), so it holds
 * at most twice the blocks of the running sequences plus those kept. When no sequence holds a block, the pool shrinks
 * to the blocks kept for reuse (copied to its front), or is freed if there are none, so an idle decoder holds no more
 * than its cached prefixes. Not thread-safe: the {@link BatchDecoder} that owns it serialises access.
 */
final class PagedKvCache implements AutoCloseable {

    private static final int MIN_BLOCKS = 16;
    /** Gathers this large or larger copy blocks whole, in a kernel call (see {@link #keys}). */
    static final long KERNEL_GATHER_BYTES = 128 << 10;

    private final NDManager parent;
    private final DataType dataType;
    private final int blockPositions;
    private final int kvHeads;
    private final int headDim;
    private final int maxPositions;
    private final int layers;
    private final int maxCachedBlocks;
    private final Deque<Integer> free = new ArrayDeque<>();
    private final Map<BlockKey, Integer> cachedByKey = new HashMap<>();
    private final LinkedHashSet<Integer> evictable = new LinkedHashSet<>(); // held by none, least recently used first
    private final PromptEnds promptEnds;
    private int[] holders = new int[0]; // per block: how many tables hold it
    private BlockKey[][] keysOfBlock = new BlockKey[0][]; // per block: the keys it is registered under, if any
    private int held; // blocks held by at least one table
    private long queriedPositions; // prompt positions looked up for reuse
    private long hitPositions; // of those, positions found cached
    private NDManager manager; // owns the arrays below; null while the pool is freed
    private NDArray[] keys; // per layer [kvHeads, blocks, blockPositions, headDim]
    private NDArray[] values;
    private int blocks;
    private final Kernels kernels; // the block gather; null where autograd must record it (training)

    /**
     * @param parent          the decoder's manager: the pool's arrays live in a child of it
     * @param kernels         the decoder's compiled kernels, for the block gather; null to gather by DJL indexing,
     *                        which autograd records (a TorchScript call is opaque to it)
     * @param maxCachedBlocks blocks kept for reuse when no sequence holds them; 0 turns prefix reuse off
     */
    PagedKvCache(
            LlamaConfig config,
            NDManager parent,
            Kernels kernels,
            DataType dataType,
            int blockPositions,
            int maxCachedBlocks) {
        if (blockPositions < 1) {
            throw new IllegalArgumentException("a KV cache block holds at least one position, got " + blockPositions);
        }
        if (maxCachedBlocks < 0) {
            throw new IllegalArgumentException("cached blocks cannot be negative, got " + maxCachedBlocks);
        }
        this.maxCachedBlocks = maxCachedBlocks;
        this.parent = parent;
        this.kernels = kernels;
        this.dataType = dataType;
        this.blockPositions = blockPositions;
        this.kvHeads = config.numKeyValueHeads();
        this.headDim = config.headDim();
        this.maxPositions = config.maxPositionEmbeddings();
        this.layers = config.numHiddenLayers();
        // Up to 32 MB of heap per expert: 55 distributions of a 151,936-token vocabulary, 1,024 of a small one.
        this.promptEnds = new PromptEnds((int) Math.max(8, Math.min(1_024, (32L << 20) / (4L * config.vocabSize()))));
    }

    /** Bytes one position of one sequence takes: keys and values of every layer. */
    static long bytesPerPosition(LlamaConfig config, DataType dataType) {
        return 2L * config.numHiddenLayers() * config.numKeyValueHeads() * config.headDim() * dataType.getNumOfBytes();
    }

    int blockPositions() {
        return blockPositions;
    }

    /** Blocks the pool has room for now, the padding block included. */
    int blocks() {
        return blocks;
    }

    /** Blocks held by some sequence now. */
    int heldBlocks() {
        return held;
    }

    /** Whether blocks are kept for reuse. */
    boolean reusesPrefixes() {
        return maxCachedBlocks > 0;
    }

    /** The blocks by state now, and the prompt positions looked up for reuse so far with those found cached. */
    BatchDecoder.KvCacheUsage usage() {
        return new BatchDecoder.KvCacheUsage(held, evictable.size(), blocks, queriedPositions, hitPositions);
    }

    /**
     * The next-token distribution after a whole prompt whose last position has {@code key}, kept by
     * {@link #rememberPromptEnd}; null when it is not kept, or the block holding that position is not cached.
     */
    float[] promptEnd(BlockKey key) {
        return holds(key) ? promptEnds.get(key) : null;
    }

    /** Keeps the distribution after a whole prompt, until the block that holds its last position is evicted. */
    void rememberPromptEnd(BlockKey key, float[] logProbs) {
        if (reusesPrefixes()) {
            promptEnds.put(key, logProbs);
        }
    }

    /** Whether a block is cached under {@code key}. */
    boolean holds(BlockKey key) {
        return cachedByKey.containsKey(key);
    }

    /**
     * Gives the empty {@code table} the cached blocks of the longest prefix of {@code keys} (the keys of a prompt's
     * first full blocks, in order), counting {@code queried} positions as looked up. Returns how many blocks it got.
     */
    int adopt(BlockTable table, List<BlockKey> keys, int queried) {
        if (table.size != 0) {
            throw new IllegalStateException("only an empty table adopts cached blocks");
        }
        queriedPositions += queried;
        for (BlockKey key : keys) {
            Integer block = cachedByKey.get(key);
            if (block == null) {
                break;
            }
            hold(block);
            table.add(block);
        }
        hitPositions += (long) table.size * blockPositions;
        return table.size;
    }

    /**
     * After {@link #adopt}: gives {@code table} the cached block whose first positions match the most of {@code
     * partialKeys} (the partial keys of the table's next block, for 1, 2, ... of its first positions), and returns how
     * many positions of it match, 0 when none does. The table shares the block until its sequence first writes
     * there ({@link #reserve} then gives it a copy of its own), so the cached block is never written.
     */
    int adoptPartial(BlockTable table, List<BlockKey> partialKeys) {
        for (int matched = partialKeys.size(); matched > 0; matched--) {
            Integer cached = cachedByKey.get(partialKeys.get(matched - 1));
            if (cached == null) {
                continue;
            }
            hold(cached);
            table.add(cached);
            table.sharesLast = true;
            hitPositions += matched;
            return matched;
        }
        return 0;
    }

    private void hold(int block) {
        if (holders[block]++ == 0) {
            evictable.remove(block);
            held++;
        }
    }

    /** Before the sequence writes in the block it shares: a copy of that block takes its place in the table. */
    private void copyLastShared(BlockTable table) {
        int shared = table.ids[table.size - 1];
        int copy = take();
        for (int layer = 0; layer < layers; layer++) {
            copyBlock(keys[layer], shared, copy);
            copyBlock(values[layer], shared, copy);
        }
        table.ids[table.size - 1] = copy;
        table.sharesLast = false;
        unhold(shared);
        evictBeyondLimit();
    }

    private static void copyBlock(NDArray pool, int from, int to) {
        try (NDArray block = pool.get(new NDIndex().addAllDim().addIndices(from))) {
            pool.set(new NDIndex().addAllDim().addIndices(to), block);
        }
    }

    /**
     * Registers block {@code index} of {@code table} under {@code keys} (its key if it is full, and the partial keys of
     * the positions it holds), so that it is kept for reuse. A key already registered keeps its block (two sequences
     * computed the same prefix at once), and a block already registered keeps its keys.
     */
    void register(BlockTable table, int index, List<BlockKey> keys) {
        int block = table.id(index);
        if (maxCachedBlocks == 0 || keysOfBlock[block] != null) {
            return;
        }
        List<BlockKey> taken = keys.stream()
                .filter(key -> cachedByKey.putIfAbsent(key, block) == null)
                .toList();
        if (!taken.isEmpty()) {
            keysOfBlock[block] = taken.toArray(BlockKey[]::new);
        }
    }

    /** Drops every cached block no sequence holds (vLLM's prefix-cache reset); frees the pool if nothing is held. */
    void evictCached() {
        while (!evictable.isEmpty()) {
            evict(evictable.iterator().next());
        }
        if (held == 0) {
            close();
        }
    }

    private void evict(int block) {
        evictable.remove(block);
        for (BlockKey key : keysOfBlock[block]) {
            cachedByKey.remove(key);
            promptEnds.forget(key);
        }
        keysOfBlock[block] = null;
        free.push(block);
    }

    /** Bytes the pool's arrays take now. */
    long allocatedBytes() {
        return (long) blocks * blockPositions * kvHeads * headDim * dataType.getNumOfBytes() * 2L * layers;
    }

    /** A new, empty table: a sequence's blocks, none yet. */
    BlockTable newTable() {
        return new BlockTable();
    }

    /**
     * Gives {@code table} the blocks for its first {@code positions} positions, taking new ones from the pool (which
     * grows if none is free), before its sequence writes: a block it shares from the cache is copied first.
     *
     * @throws IllegalStateException if {@code positions} exceeds {@code max_position_embeddings}
     */
    void reserve(BlockTable table, int positions) {
        if (positions > maxPositions) {
            throw new IllegalStateException(
                    "context of " + positions + " positions exceeds max_position_embeddings " + maxPositions);
        }
        if (table.sharesLast) {
            copyLastShared(table);
        }
        int needed = (positions + blockPositions - 1) / blockPositions;
        while (table.size < needed) {
            table.add(take());
        }
    }

    /**
     * Returns the blocks of {@code table}: registered ones are kept for reuse (the oldest evicted beyond the limit),
     * the others freed. Once no block is held, the pool shrinks to the blocks kept, or is freed.
     */
    void release(BlockTable table) {
        for (int i = 0; i < table.size; i++) {
            unhold(table.ids[i]);
        }
        table.size = 0;
        table.sharesLast = false;
        evictBeyondLimit();
        if (held == 0) {
            if (evictable.isEmpty()) {
                close();
            } else {
                compact();
            }
        }
    }

    private void unhold(int block) {
        if (--holders[block] == 0) {
            held--;
            if (keysOfBlock[block] != null) {
                evictable.add(block); // the most recently used
            } else {
                free.push(block);
            }
        }
    }

    private void evictBeyondLimit() {
        while (evictable.size() > maxCachedBlocks) {
            evict(evictable.iterator().next());
        }
    }

    private int take() {
        if (free.isEmpty()) {
            grow(Math.max(MIN_BLOCKS, 2 * blocks));
        }
        int block = free.pop();
        holders[block] = 1;
        held++;
        return block;
    }

    /**
     * Moves the cached blocks to the front of a pool just large enough for them (no sequence holds a block, so no
     * table refers to the old ids), keeping their order of use.
     */
    private void compact() {
        int kept = evictable.size();
        int newBlocks = MIN_BLOCKS;
        while (newBlocks < kept + 1) {
            newBlocks *= 2;
        }
        if (newBlocks >= blocks) {
            return;
        }
        long[] oldIds = evictable.stream().mapToLong(Integer::longValue).toArray();
        NDManager compacted = parent.newSubManager();
        try (NDArray ids = compacted.create(oldIds)) {
            Shape shape = new Shape(kvHeads, newBlocks, blockPositions, headDim);
            NDIndex front = new NDIndex().addAllDim().addSliceDim(1, kept + 1);
            for (int layer = 0; layer < layers; layer++) {
                keys[layer] = moved(keys[layer], ids, shape, front, compacted);
                values[layer] = moved(values[layer], ids, shape, front, compacted);
            }
        }
        manager.close();
        manager = compacted;
        BlockKey[][] oldKeys = keysOfBlock;
        keysOfBlock = new BlockKey[newBlocks][];
        holders = new int[newBlocks];
        cachedByKey.clear();
        evictable.clear();
        for (int i = 0; i < kept; i++) {
            BlockKey[] blockKeys = oldKeys[(int) oldIds[i]];
            keysOfBlock[i + 1] = blockKeys;
            for (BlockKey key : blockKeys) {
                cachedByKey.put(key, i + 1);
            }
            evictable.add(i + 1);
        }
        free.clear();
        for (int block = newBlocks - 1; block > kept; block--) {
            free.push(block);
        }
        blocks = newBlocks;
    }

    private static NDArray moved(NDArray old, NDArray ids, Shape shape, NDIndex front, NDManager target) {
        NDArray smaller = target.zeros(shape, old.getDataType());
        try (NDArray kept = old.get(target, new NDIndex(":, {}", ids))) {
            smaller.set(front, kept);
        }
        return smaller;
    }

    private void grow(int newBlocks) {
        if (manager == null) {
            manager = parent.newSubManager();
            keys = new NDArray[layers];
            values = new NDArray[layers];
            blocks = 1; // block 0, the padding, is never free
        }
        Shape shape = new Shape(kvHeads, newBlocks, blockPositions, headDim);
        for (int layer = 0; layer < layers; layer++) {
            keys[layer] = grow(keys[layer], shape);
            values[layer] = grow(values[layer], shape);
        }
        holders = Arrays.copyOf(holders, newBlocks);
        keysOfBlock = Arrays.copyOf(keysOfBlock, newBlocks);
        for (int block = newBlocks - 1; block >= blocks; block--) {
            free.push(block); // lowest first: the blocks in use stay packed at the front
        }
        blocks = newBlocks;
    }

    private NDArray grow(NDArray old, Shape shape) {
        NDArray grown = manager.zeros(shape, dataType);
        if (old != null) {
            try (old) {
                grown.set(
                        new NDIndex().addAllDim().addSliceDim(0, old.getShape().get(1)), old);
            }
        }
        return grown;
    }

    /**
     * Stores keys and values [N, kvHeads, headDim] of N rows at {@code rows}: an index of each row's block and offset
     * in it, {@code (:, block[N], offset[N])}.
     */
    void write(int layer, NDIndex rows, NDArray newKeys, NDArray newValues) {
        keys[layer].set(rows, newKeys.transpose(1, 0, 2));
        values[layer].set(rows, newValues.transpose(1, 0, 2));
    }

    /** The pool of layer {@code layer}'s keys, [kvHeads, blocks, blockPositions, headDim], for writing in place. */
    NDArray keyPool(int layer) {
        return keys[layer];
    }

    /** The pool of its values, as {@link #keyPool}. */
    NDArray valuePool(int layer) {
        return values[layer];
    }

    /**
     * The keys of the given blocks (int64 [M]), gathered: a copy [kvHeads, M, blockPositions, headDim] in the manager
     * of {@code blockIds}. A gather of {@link #KERNEL_GATHER_BYTES} or more copies each block whole ({@code
     * index_select}, through the kernels' TorchScript module); indexing the pool's second dimension copies element by
     * element, up to 1.5 times slower at 256 KB and beyond ({@code bench paged-attention}), but a module call costs
     * more than the copy of a few small blocks, which is all a small expert's step gathers.
     */
    NDArray keys(int layer, NDArray blockIds) {
        return gather(keys[layer], blockIds);
    }

    /** The values of the given blocks, as {@link #keys}. */
    NDArray values(int layer, NDArray blockIds) {
        return gather(values[layer], blockIds);
    }

    private NDArray gather(NDArray pool, NDArray blockIds) {
        long bytes = blockIds.size() * blockPositions * kvHeads * headDim * dataType.getNumOfBytes();
        return kernels != null && bytes >= KERNEL_GATHER_BYTES
                ? kernels.gatherBlocks(pool, blockIds)
                : pool.get(blockIds.getManager(), new NDIndex(":, {}", blockIds));
    }

    /** Frees the arrays; tables still holding blocks must not be used again. */
    @Override
    public void close() {
        if (manager != null) {
            manager.close();
            manager = null;
            keys = null;
            values = null;
        }
        free.clear();
        cachedByKey.clear();
        evictable.clear();
        holders = new int[0];
        keysOfBlock = new BlockKey[0][];
        held = 0;
        blocks = 0;
    }

    /** One sequence's blocks in position order: position p lives in block {@code id(p / blockPositions)}. */
    static final class BlockTable {

        private int[] ids = new int[4];
        private int size;
        private boolean sharesLast; // its last block is a cached one, only read until the sequence writes there

        private void add(int block) {
            if (size == ids.length) {
                ids = Arrays.copyOf(ids, 2 * size);
            }
            ids[size++] = block;
        }

        int size() {
            return size;
        }

        int id(int index) {
            if (index >= size) {
                throw new IndexOutOfBoundsException("block " + index + " of a table of " + size);
            }
            return ids[index];
        }
    }
}
