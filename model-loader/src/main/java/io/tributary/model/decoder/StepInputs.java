package io.tributary.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

import java.util.ArrayList;
import java.util.List;

/**
 * What every layer of one batched step reads besides the activations, built once per step in the step's manager:
 * where each row goes in the cache, RoPE rotations, and the attention masks.
 *
 * @param cacheRows         each row's (slot, position) in the cache, as an index over [slots, heads, positions, dim]
 * @param decodeSlotOffsets each decode row's place in the decode slot range, or {@code null} when the rows fill the
 *                          range in order (no scatter needed)
 * @param decodeMask        [R, 1, 1, S] for the decode rows; {@code null} without decodes, or when every slot of the
 *                          range decodes at the same length (nothing to mask)
 * @param chunkMasks        one causal mask [G*T, S] per chunk, in layout order, when chunks attend one by one
 * @param chunkGroup        the padded batch of chunks, when they attend together ({@link StepLayout#chunksGrouped()})
 */
record StepInputs(
        StepLayout layout,
        NDIndex cacheRows,
        NDArray rotations,
        NDArray decodeSlotOffsets,
        NDArray decodeMask,
        List<NDArray> chunkMasks,
        ChunkGroup chunkGroup) {

    /**
     * @param places each chunk row's (chunk, row in chunk)
     * @param slots  each chunk's slot, int64 [C]
     * @param mask   [C, 1, G*L, S]
     */
    record ChunkGroup(NDIndex places, NDArray slots, NDArray mask) {}

    static StepInputs of(StepLayout layout, RotaryEmbedding rope, int group, DataType type, NDManager step) {
        NDArray positions = layout.positionOfRow(step);
        NDArray offsets = null;
        NDArray decodeMask = null;
        if (layout.decodeRows() > 0) {
            offsets = layout.decodeSlotsDense() ? null : layout.decodeSlotOffsets(step);
            decodeMask = layout.decodeNeedsMask() ? layout.decodeMask(step, type) : null;
        }
        List<NDArray> chunkMasks = new ArrayList<>(layout.chunks().size());
        ChunkGroup chunkGroup = null;
        if (layout.chunksGrouped()) {
            chunkGroup = new ChunkGroup(
                    layout.chunkPlaces(step), layout.chunkSlots(step), layout.groupedChunkMask(group, step, type));
        } else {
            for (StepLayout.Chunk chunk : layout.chunks()) {
                chunkMasks.add(StepLayout.causalMask(chunk.sequence(), group, step, type));
            }
        }
        NDIndex cacheRows = new NDIndex("{}, :, {}", layout.slotOfRow(step), positions);
        return new StepInputs(
                layout, cacheRows, rope.rotations(positions, step), offsets, decodeMask, chunkMasks, chunkGroup);
    }
}
