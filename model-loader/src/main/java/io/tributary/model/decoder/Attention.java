package io.tributary.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.tributary.model.llama.LlamaConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * Scaled dot-product attention of one batched step over the slot KV cache, with grouped key/value heads. Its three
 * paths: the decode rows attend together over their slot range, several short prefill chunks attend together over
 * their gathered slots, and a long chunk attends alone over its slot. Queries arrive rotated and already scaled by
 * 1/sqrt(D) (folded into q_proj at load); every row's key and value are in the cache before it is called.
 */
final class Attention {

    private final LlamaConfig config;

    Attention(LlamaConfig config) {
        this.config = config;
    }

    /**
     * The attention output of every row of the step: queries [N, Q, D] in {@code inputs.layout()}'s row order,
     * output [N, Q*D] in the same order.
     */
    NDArray attend(NDArray q, int layerIndex, StepInputs inputs, SlotKvCache cache, NDManager scope) {
        StepLayout layout = inputs.layout();
        List<NDArray> parts = new ArrayList<>(layout.chunks().size() + 1);
        if (layout.decodeRows() > 0) {
            NDArray decodeQueries =
                    layout.chunks().isEmpty() ? q : q.get(new NDIndex().addSliceDim(0, layout.decodeRows()));
            parts.add(decodeAttention(decodeQueries, layerIndex, inputs, cache, scope));
        }
        if (inputs.chunkGroup() != null) {
            NDArray chunkQueries =
                    layout.decodeRows() == 0 ? q : q.get(new NDIndex().addSliceDim(layout.decodeRows(), layout.rows()));
            parts.add(groupedChunkAttention(chunkQueries, layerIndex, inputs, cache, scope));
        }
        for (int c = 0; inputs.chunkGroup() == null && c < layout.chunks().size(); c++) {
            StepLayout.Chunk chunk = layout.chunks().get(c);
            NDArray chunkQueries = layout.rows() == chunk.sequence().length()
                    ? q
                    : q.get(new NDIndex()
                            .addSliceDim(
                                    chunk.row(), chunk.row() + chunk.sequence().length()));
            parts.add(chunkAttention(
                    chunkQueries, chunk.sequence(), inputs.chunkMasks().get(c), layerIndex, cache, scope));
        }
        return parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts), 0);
    }

    /**
     * All decode rows at once: queries [B, Q, D], one per sequence, against the keys of their slot range
     * [R, K, S, D] with the ragged lengths masked. Rows go to their slot's place in the range (scattered into
     * zeros when the slots have holes) and come back in row order. Output [B, Q*D].
     */
    private NDArray decodeAttention(NDArray q, int layerIndex, StepInputs inputs, SlotKvCache cache, NDManager scope) {
        StepLayout layout = inputs.layout();
        int decodes = layout.decodeRows();
        int kvHeads = config.numKeyValueHeads();
        int group = config.queriesPerKeyValueHead();
        int from = layout.decodeSlotFrom();
        int to = layout.decodeSlotTo();
        int context = layout.decodeContext();
        // Query head j*G + g reads key/value head j (transformers' repeat_kv order).
        NDArray queries = q.reshape(decodes, kvHeads, group, config.headDim());
        if (inputs.decodeSlotOffsets() != null) {
            NDArray scattered = scope.zeros(new Shape(to - from, kvHeads, group, config.headDim()), q.getDataType());
            scattered.set(new NDIndex("{}", inputs.decodeSlotOffsets()), queries);
            queries = scattered;
        }
        NDArray keys = cache.keys(layerIndex, from, to, context, scope); // [R, K, S, D]
        NDArray values = cache.values(layerIndex, from, to, context, scope); // [R, K, S, D]
        NDArray scores = queries.matMul(keys.transpose(0, 1, 3, 2)); // [R, K, G, S]
        if (inputs.decodeMask() != null) {
            scores = scores.add(inputs.decodeMask());
        }
        NDArray attended = scores.softmax(-1).matMul(values); // [R, K, G, D]
        if (inputs.decodeSlotOffsets() != null) {
            attended = attended.get(new NDIndex("{}", inputs.decodeSlotOffsets()));
        }
        return attended.reshape(decodes, (long) config.numAttentionHeads() * config.headDim());
    }

    /**
     * Several short chunks at once: their queries [Nc, Q, D] padded into [C, L] (L the longest chunk), against their
     * slots' keys gathered to [C, K, S, D], with a causal mask per chunk; the padding rows are dropped again.
     * Output [Nc, Q*D].
     */
    private NDArray groupedChunkAttention(
            NDArray q, int layerIndex, StepInputs inputs, SlotKvCache cache, NDManager scope) {
        StepLayout layout = inputs.layout();
        StepInputs.ChunkGroup group = inputs.chunkGroup();
        int chunks = layout.chunks().size();
        int longest = layout.longestChunk();
        int context = layout.chunkContext();
        int kvHeads = config.numKeyValueHeads();
        int perKv = config.queriesPerKeyValueHead();
        int dim = config.headDim();
        NDArray padded = scope.zeros(new Shape(chunks, longest, config.numAttentionHeads(), dim), q.getDataType());
        padded.set(group.places(), q);
        NDArray queries = padded.reshape(chunks, longest, kvHeads, perKv, dim)
                .transpose(0, 2, 3, 1, 4)
                .reshape(chunks, kvHeads, (long) perKv * longest, dim); // rows g*L + t, as the mask
        NDArray keys =
                cache.keysOfSlots(layerIndex, group.slots(), context, scope).transpose(0, 1, 3, 2);
        NDArray values = cache.valuesOfSlots(layerIndex, group.slots(), context, scope);
        NDArray attended = queries.matMul(keys).add(group.mask()).softmax(-1).matMul(values); // [C, K, G*L, D]
        NDArray byRow = attended.reshape(chunks, kvHeads, perKv, longest, dim)
                .transpose(0, 3, 1, 2, 4)
                .reshape(chunks, longest, (long) config.numAttentionHeads() * dim);
        return byRow.get(group.places());
    }

    /** One chunk of T positions of one sequence: queries [T, Q, D] against its slot's keys. Output [T, Q*D]. */
    private NDArray chunkAttention(
            NDArray q, StepLayout.Sequence chunk, NDArray mask, int layerIndex, SlotKvCache cache, NDManager scope) {
        int length = chunk.length();
        int context = chunk.start() + length;
        NDArray keys = cache.keys(layerIndex, chunk.slot(), context, scope).transpose(0, 2, 1); // [K, D, S]
        NDArray values = cache.values(layerIndex, chunk.slot(), context, scope); // [K, S, D]
        NDArray scores = groupByKeyValueHead(q, length).matMul(keys).add(mask); // [K, G*T, S]
        NDArray attended = scores.softmax(-1).matMul(values); // [K, G*T, D]
        return ungroup(attended, length);
    }

    /**
     * [T, Q, D] to [K, G*T, D], G = Q/K: query head {@code j*G + g} reads key/value head j (transformers'
     * {@code repeat_kv} order), so one batched matmul per kv head serves its whole group without copying keys.
     */
    private NDArray groupByKeyValueHead(NDArray q, int length) {
        return q.reshape(length, config.numKeyValueHeads(), config.queriesPerKeyValueHead(), config.headDim())
                .transpose(1, 2, 0, 3)
                .reshape(config.numKeyValueHeads(), (long) config.queriesPerKeyValueHead() * length, config.headDim());
    }

    /** Inverse of {@link #groupByKeyValueHead}, flattening heads: [K, G*T, D] to [T, Q*D]. */
    private NDArray ungroup(NDArray context, int length) {
        long width = (long) config.numAttentionHeads() * config.headDim();
        return context.reshape(config.numKeyValueHeads(), config.queriesPerKeyValueHead(), length, config.headDim())
                .transpose(2, 0, 1, 3)
                .reshape(length, width);
    }
}
