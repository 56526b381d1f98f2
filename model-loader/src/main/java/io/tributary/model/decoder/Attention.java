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
 * Scaled dot-product attention of one batched step over the paged KV cache, with grouped key/value heads. Each path
 * first gathers its sequences' blocks (one copy per layer and kind, in the step's manager as the block ids are), which the pool's heads-first layout
 * leaves as one run of positions per head and sequence, then attends as over a contiguous cache: the decode rows
 * together, several short prefill chunks together, and a long chunk alone. Queries arrive rotated and already scaled by
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
    NDArray attend(NDArray q, int layerIndex, StepInputs inputs, PagedKvCache cache, NDManager scope) {
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
                    chunkQueries,
                    chunk.sequence(),
                    inputs.chunkBlocks().get(c),
                    inputs.chunkMasks().get(c),
                    layerIndex,
                    cache,
                    scope));
        }
        return parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts), 0);
    }

    /**
     * All decode rows at once: queries [B, Q, D], one per sequence, against their gathered keys [K, B, S, D] with the
     * ragged lengths masked, heads as the outer batch dimension (the pool's layout). Output [B, Q*D].
     */
    private NDArray decodeAttention(NDArray q, int layerIndex, StepInputs inputs, PagedKvCache cache, NDManager scope) {
        StepLayout layout = inputs.layout();
        int decodes = layout.decodeRows();
        int context = layout.decodeContext();
        // Query head j*G + g reads key/value head j (transformers' repeat_kv order).
        NDArray queries = q.reshape(
                        decodes, config.numKeyValueHeads(), config.queriesPerKeyValueHead(), config.headDim())
                .transpose(1, 0, 2, 3); // [K, B, G, D]
        NDArray keys = runs(cache.keys(layerIndex, inputs.decodeBlocks()), decodes, context);
        NDArray values = runs(cache.values(layerIndex, inputs.decodeBlocks()), decodes, context);
        NDArray scores = queries.matMul(keys.transpose(0, 1, 3, 2)); // [K, B, G, S]
        if (inputs.decodeMask() != null) {
            scores = scores.add(inputs.decodeMask());
        }
        NDArray attended = scores.softmax(-1).matMul(values); // [K, B, G, D]
        return attended.transpose(1, 0, 2, 3).reshape(decodes, (long) config.numAttentionHeads() * config.headDim());
    }

    /**
     * Several short chunks at once: their queries [Nc, Q, D] padded into [C, L] (L the longest chunk), against their
     * gathered keys [K, C, S, D], with a causal mask per chunk; the padding rows are dropped again. Output [Nc, Q*D].
     */
    private NDArray groupedChunkAttention(
            NDArray q, int layerIndex, StepInputs inputs, PagedKvCache cache, NDManager scope) {
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
                .transpose(2, 0, 3, 1, 4)
                .reshape(kvHeads, chunks, (long) perKv * longest, dim); // rows g*L + t, as the mask
        NDArray keys =
                runs(cache.keys(layerIndex, group.blocks()), chunks, context).transpose(0, 1, 3, 2);
        NDArray values = runs(cache.values(layerIndex, group.blocks()), chunks, context);
        NDArray attended = queries.matMul(keys).add(group.mask()).softmax(-1).matMul(values); // [K, C, G*L, D]
        NDArray byRow = attended.reshape(kvHeads, chunks, perKv, longest, dim)
                .transpose(1, 3, 0, 2, 4)
                .reshape(chunks, longest, (long) config.numAttentionHeads() * dim);
        return byRow.get(group.places());
    }

    /** One chunk of T positions of one sequence: queries [T, Q, D] against its gathered keys. Output [T, Q*D]. */
    private NDArray chunkAttention(
            NDArray q,
            StepLayout.Sequence chunk,
            NDArray blocks,
            NDArray mask,
            int layerIndex,
            PagedKvCache cache,
            NDManager scope) {
        int length = chunk.length();
        int context = chunk.start() + length;
        NDArray keys = runs(cache.keys(layerIndex, blocks), 1, context)
                .reshape(config.numKeyValueHeads(), context, config.headDim())
                .transpose(0, 2, 1); // [K, D, S]
        NDArray values = runs(cache.values(layerIndex, blocks), 1, context)
                .reshape(config.numKeyValueHeads(), context, config.headDim()); // [K, S, D]
        NDArray scores = groupByKeyValueHead(q, length).matMul(keys).add(mask); // [K, G*T, S]
        NDArray attended = scores.softmax(-1).matMul(values); // [K, G*T, D]
        return ungroup(attended, length);
    }

    /**
     * Gathered blocks [K, B * M, P, D] of B sequences (M blocks of P positions each) as one run of positions per head
     * and sequence, cut to the first {@code context}: [K, B, context, D]. The reshape is free: the blocks of a sequence
     * are already adjacent.
     */
    private NDArray runs(NDArray blocks, int sequences, int context) {
        long perSequence = blocks.getShape().get(1) / sequences;
        long positions = perSequence * blocks.getShape().get(2);
        NDArray runs = blocks.reshape(config.numKeyValueHeads(), sequences, positions, config.headDim());
        return positions == context ? runs : runs.get(new NDIndex().addAllDim(2).addSliceDim(0, context));
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
