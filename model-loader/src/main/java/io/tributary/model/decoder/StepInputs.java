package io.tributary.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

import java.util.ArrayList;
import java.util.List;

/**
 * What every layer of one batched step reads besides the activations, built once per step in the step's manager:
 * where each row goes in the cache, the blocks attention gathers, RoPE rotations, and the attention masks.
 *
 * @param cacheRows    each row's (block, offset) in the cache, as an index over [blocks, heads, offsets, dim]
 * @param cacheBlocks  the same rows' blocks, int64 [N]
 * @param cacheOffsets the same rows' offsets in their blocks, int64 [N]
 * @param decodeBlocks the decode rows' blocks, padded to the same count ({@link StepLayout#decodeBlocks}), or
 *                     {@code null} without decodes
 * @param decodeMask   [B, 1, S] for the decode rows; {@code null} without decodes, or when every row decodes at the
 *                     same length (nothing to mask)
 * @param chunkBlocks  one chunk's blocks per chunk, in layout order, when chunks attend one by one
 * @param chunkMasks   one causal mask [G*T, S] per chunk, in layout order, when chunks attend one by one
 * @param chunkGroup   the padded batch of chunks, when they attend together ({@link StepLayout#chunksGrouped()})
 */
record StepInputs(
        StepLayout layout,
        NDIndex cacheRows,
        NDArray cacheBlocks,
        NDArray cacheOffsets,
        NDArray rotations,
        NDArray decodeBlocks,
        NDArray decodeMask,
        List<NDArray> chunkBlocks,
        List<NDArray> chunkMasks,
        ChunkGroup chunkGroup) {

    /**
     * @param places each chunk row's (chunk, row in chunk)
     * @param blocks the chunks' blocks, padded to the same count: int64 [C * M]
     * @param mask   [C, G*L, S]
     */
    record ChunkGroup(NDIndex places, NDArray blocks, NDArray mask) {}

    static StepInputs of(StepLayout layout, RotaryEmbedding rope, int group, DataType type, NDManager step) {
        NDArray positions = layout.positionOfRow(step);
        NDArray decodeBlocks = null;
        NDArray decodeMask = null;
        if (layout.decodeRows() > 0) {
            decodeBlocks = layout.decodeBlocks(step);
            decodeMask = layout.decodeNeedsMask() ? layout.decodeMask(step, type) : null;
        }
        List<NDArray> chunkBlocks = new ArrayList<>(layout.chunks().size());
        List<NDArray> chunkMasks = new ArrayList<>(layout.chunks().size());
        ChunkGroup chunkGroup = null;
        if (layout.chunksGrouped()) {
            chunkGroup = new ChunkGroup(
                    layout.chunkPlaces(step), layout.chunkBlocks(step), layout.groupedChunkMask(group, step, type));
        } else {
            for (StepLayout.Chunk chunk : layout.chunks()) {
                chunkBlocks.add(layout.blocksOf(chunk.sequence(), step));
                chunkMasks.add(StepLayout.causalMask(chunk.sequence(), group, step, type));
            }
        }
        NDArray[] rows = layout.cacheRowIds(step);
        return new StepInputs(
                layout,
                new NDIndex(":, {}, {}", rows[0], rows[1]), // as StepLayout.cacheRows
                rows[0],
                rows[1],
                rope.rotations(positions, step),
                decodeBlocks,
                decodeMask,
                chunkBlocks,
                chunkMasks,
                chunkGroup);
    }
}
