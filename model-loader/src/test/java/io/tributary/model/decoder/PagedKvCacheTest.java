package io.tributary.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.kernel.Kernels;
import io.tributary.model.llama.LlamaConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PagedKvCacheTest {

    private static final int BLOCK = 4;
    // 2 layers, 4 query heads over 2 kv heads of 8 dimensions, 100 positions
    private static final LlamaConfig CONFIG = config(100);

    private static LlamaConfig config(int maxPositions) {
        return new LlamaConfig(
                64,
                32,
                64,
                2,
                4,
                2,
                8,
                maxPositions,
                1e-5,
                10000,
                Optional.empty(),
                true,
                "silu",
                false,
                false,
                OptionalInt.empty(),
                List.of(),
                Optional.empty());
    }

    private NDManager manager;
    private PagedKvCache cache;

    @BeforeEach
    void open() {
        NativeTarget.prepareInferenceThread();
        manager = NativeTarget.newModelManager(LoadOptions.cpu(), "paged-kv-test");
        cache = new PagedKvCache(CONFIG, manager, Kernels.load(manager), DataType.FLOAT32, BLOCK, 8);
    }

    @AfterEach
    void close() {
        cache.close();
        manager.close();
    }

    @Test
    void aTableTakesABlockWhenItsPositionsReachOneAndNeverTheZeroBlock() {
        PagedKvCache.BlockTable table = cache.newTable();
        cache.reserve(table, 1);
        assertThat(table.size()).isEqualTo(1);
        cache.reserve(table, BLOCK);
        assertThat(table.size()).as("still within the first block").isEqualTo(1);
        cache.reserve(table, BLOCK + 1);
        assertThat(table.size()).isEqualTo(2);
        cache.reserve(table, 10 * BLOCK);
        Set<Integer> ids = new HashSet<>();
        for (int i = 0; i < table.size(); i++) {
            ids.add(table.id(i));
        }
        assertThat(ids).hasSize(10).doesNotContain(0);
        assertThat(cache.heldBlocks()).isEqualTo(10);
    }

    @Test
    void releasedBlocksAreReusedAndThePoolIsFreedWhenNoneIsHeld() {
        PagedKvCache.BlockTable first = cache.newTable();
        PagedKvCache.BlockTable second = cache.newTable();
        cache.reserve(first, 3 * BLOCK);
        cache.reserve(second, 2 * BLOCK);
        int poolBlocks = cache.blocks();
        long bytes = cache.allocatedBytes();
        assertThat(bytes).isEqualTo(poolBlocks * PagedKvCache.bytesPerPosition(CONFIG, DataType.FLOAT32) * BLOCK);
        Set<Integer> firstIds = Set.of(first.id(0), first.id(1), first.id(2));
        cache.release(first);
        assertThat(cache.heldBlocks()).isEqualTo(2);
        PagedKvCache.BlockTable third = cache.newTable();
        cache.reserve(third, 3 * BLOCK);
        assertThat(Set.of(third.id(0), third.id(1), third.id(2))).isEqualTo(firstIds);
        assertThat(cache.blocks()).as("no growth while freed blocks remain").isEqualTo(poolBlocks);
        cache.release(second);
        cache.release(third);
        assertThat(cache.allocatedBytes()).isZero();
    }

    @Test
    void thePoolGrowsByDoublingAndKeepsWhatItHolds() {
        PagedKvCache.BlockTable table = cache.newTable();
        cache.reserve(table, BLOCK);
        NDArray keys = manager.ones(new Shape(1, 2, 8)).mul(7);
        write(table, 0, keys);
        int before = cache.blocks();
        PagedKvCache.BlockTable big = cache.newTable();
        cache.reserve(big, before * BLOCK); // more blocks than are free
        assertThat(cache.blocks()).isGreaterThanOrEqualTo(2 * before);
        NDArray gathered = cache.keys(0, manager.create(new long[] {table.id(0)})); // [K, 1, P, D]
        assertThat(gathered.get(":, 0, 0, :").toFloatArray()).containsOnly(7f);
        assertThat(gathered.get(":, 0, 1:, :").toFloatArray()).containsOnly(0f);
    }

    @Test
    void keysWrittenAtAPositionAreReadBackFromItsBlockAndOffset() {
        PagedKvCache.BlockTable a = cache.newTable();
        PagedKvCache.BlockTable b = cache.newTable();
        cache.reserve(a, 2 * BLOCK);
        cache.reserve(b, 2 * BLOCK);
        for (int position = 0; position < 2 * BLOCK; position++) {
            write(a, position, manager.ones(new Shape(1, 2, 8)).mul(position + 1));
            write(b, position, manager.ones(new Shape(1, 2, 8)).mul(-(position + 1)));
        }
        NDArray blocksOfA = manager.create(new long[] {a.id(0), a.id(1)});
        float[] keys = cache.keys(0, blocksOfA).toFloatArray(); // [K, 2, P, D]
        for (int position = 0; position < 2 * BLOCK; position++) {
            int blockIndex = position / BLOCK;
            int offset = position % BLOCK;
            int flat = (blockIndex * BLOCK + offset) * 8; // [head 0, block, offset, element 0]
            assertThat(keys[flat]).as("position %d", position).isEqualTo(position + 1f);
        }
    }

    @Test
    void aPartialHitSharesTheCachedBlockUntilItsSequenceWritesThereThenACopyTakesItsPlace() {
        PagedKvCache.BlockTable first = cache.newTable();
        cache.reserve(first, BLOCK);
        for (int position = 0; position < BLOCK; position++) {
            write(first, position, manager.ones(new Shape(1, 2, 8)).mul(position + 1));
        }
        List<BlockKey> partialKeys = partialKeys(BLOCK - 1, 5);
        cache.register(first, 0, partialKeys);
        int cachedBlock = first.id(0);
        cache.release(first);
        assertThat(cache.usage().cachedBlocks())
                .as("kept, though it has no full key")
                .isEqualTo(1);

        PagedKvCache.BlockTable second = cache.newTable();
        List<BlockKey> longer = partialKeys(BLOCK - 1, 5);
        assertThat(cache.adoptPartial(second, longer))
                .as("its first three positions match")
                .isEqualTo(3);
        assertThat(second.size()).isEqualTo(1);
        assertThat(second.id(0)).as("shared while only read").isEqualTo(cachedBlock);
        assertThat(cache.heldBlocks()).isEqualTo(1);
        assertThat(cache.usage().cachedBlocks()).as("held, so not evictable").isZero();

        cache.reserve(second, BLOCK); // the sequence is about to write its fourth position
        assertThat(second.id(0)).as("a copy, before the write").isNotEqualTo(cachedBlock);
        assertThat(cache.heldBlocks()).isEqualTo(1);
        assertThat(cache.usage().cachedBlocks())
                .as("the cached block is evictable again")
                .isEqualTo(1);
        write(second, 2, manager.ones(new Shape(1, 2, 8)).mul(-9));

        float[] copy = cache.keys(0, manager.create(new long[] {second.id(0)}))
                .get("0, 0, :, 0")
                .toFloatArray();
        float[] kept = cache.keys(0, manager.create(new long[] {cachedBlock}))
                .get("0, 0, :, 0")
                .toFloatArray();
        assertThat(copy).containsExactly(1, 2, -9, 4);
        assertThat(kept).containsExactly(1, 2, 3, 4);
        float[] copiedValues = cache.values(1, manager.create(new long[] {second.id(0)}))
                .get("1, 0, :, 7")
                .toFloatArray();
        float[] keptValues = cache.values(1, manager.create(new long[] {cachedBlock}))
                .get("1, 0, :, 7")
                .toFloatArray();
        assertThat(copiedValues).as("every layer's values are copied").containsExactly(keptValues);
        assertThat(cache.adoptPartial(cache.newTable(), partialKeys(2, 6)))
                .as("other contents")
                .isZero();
    }

    @Test
    void aSequenceThatEndsBeforeWritingInASharedBlockCopiesNothing() {
        PagedKvCache.BlockTable first = cache.newTable();
        cache.reserve(first, 2);
        cache.register(first, 0, partialKeys(2, 5));
        int cachedBlock = first.id(0);
        cache.release(first);
        int blocks = cache.blocks();

        for (int again = 0; again < 3; again++) {
            PagedKvCache.BlockTable table = cache.newTable();
            assertThat(cache.adoptPartial(table, partialKeys(2, 5))).isEqualTo(2);
            assertThat(table.id(0)).as("the cached block itself").isEqualTo(cachedBlock);
            assertThat(cache.heldBlocks()).isEqualTo(1);
            cache.release(table);
            assertThat(cache.heldBlocks()).isZero();
            assertThat(cache.usage().cachedBlocks()).isEqualTo(1);
        }
        assertThat(cache.blocks()).as("no block taken for a copy").isEqualTo(blocks);
    }

    @Test
    void aGatherLargeEnoughForTheKernelReadsTheSameBlocksAsASmallOne() {
        int blockBytes = 2 * BLOCK * 8 * Float.BYTES; // kv heads x positions x head dim
        int blocks = (int) (PagedKvCache.KERNEL_GATHER_BYTES / blockBytes) + 3;
        PagedKvCache large =
                new PagedKvCache(config(blocks * BLOCK), manager, Kernels.load(manager), DataType.FLOAT32, BLOCK, 0);
        try (large) {
            PagedKvCache.BlockTable table = large.newTable();
            large.reserve(table, blocks * BLOCK);
            long[] ids = new long[blocks];
            for (int i = 0; i < blocks; i++) {
                ids[i] = table.id(blocks - 1 - i); // out of order, as blocks end up
                StepLayout layout = new StepLayout(BLOCK);
                layout.add(new StepLayout.Sequence(table, i * BLOCK, 1));
                NDArray keys = manager.ones(new Shape(1, 2, 8)).mul(i + 1);
                large.write(0, layout.cacheRows(manager), keys, keys);
            }
            float[] gathered =
                    large.keys(0, manager.create(ids)).get("0, :, 0, 0").toFloatArray();
            float[] few = large.keys(0, manager.create(Arrays.copyOf(ids, 3)))
                    .get("0, :, 0, 0")
                    .toFloatArray();
            for (int i = 0; i < blocks; i++) {
                assertThat(gathered[i]).as("block %d", i).isEqualTo(blocks - i);
            }
            assertThat(few).containsExactly(Arrays.copyOf(gathered, 3));
        }
    }

    @Test
    void aContextBeyondTheModelsPositionsIsRefused() {
        assertThatThrownBy(() -> cache.reserve(cache.newTable(), CONFIG.maxPositionEmbeddings() + 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("max_position_embeddings");
    }

    /** The partial keys of a first block whose positions hold {@code token}, {@code token + 1}, .... */
    private static List<BlockKey> partialKeys(int positions, int token) {
        java.security.MessageDigest contents = BlockKey.contents();
        List<BlockKey> keys = new java.util.ArrayList<>();
        for (int p = 0; p < positions; p++) {
            BlockKey.feedToken(contents, token + p);
            keys.add(BlockKey.ofPartial(null, contents));
        }
        return keys;
    }

    private void write(PagedKvCache.BlockTable table, int position, NDArray keys) {
        StepLayout layout = new StepLayout(BLOCK);
        layout.add(new StepLayout.Sequence(table, position, 1));
        cache.write(0, layout.cacheRows(manager), keys, keys);
    }
}
