package io.tributary.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How one batched step's rows split into sequences, in the spirit of vLLM's flattened batch: every new position
 * of every sequence is one row of a single {@code [N, hidden]} tensor, so the linear layers never see padding; only
 * attention is per sequence. Decoding sequences (one new position each) come first and attend together over their
 * gathered blocks; each longer chunk (a prompt being prefilled, a catch-up) attends on its own, with a causal mask,
 * or with other short chunks as one padded batch.
 */
final class StepLayout {

    /** Chunks this short or shorter attend as one padded batch when a step has several. */
    static final int GROUPED_CHUNK_LIMIT = 64;

    /**
     * One sequence's rows: {@code length} new positions from {@code start}, cached in the blocks of {@code table},
     * which already has blocks for them.
     */
    record Sequence(PagedKvCache.BlockTable table, int start, int length) {}

    /** A prefill chunk's rows {@code [row, row + length)}. */
    record Chunk(int row, Sequence sequence) {}

    private final int blockPositions;
    private final List<Sequence> decodes = new ArrayList<>();
    private final List<Chunk> chunks = new ArrayList<>();
    private int rows;

    /** @param blockPositions positions per KV cache block */
    StepLayout(int blockPositions) {
        this.blockPositions = blockPositions;
    }

    /**
     * Adds a sequence's rows; all decodes (length 1) must come before the first chunk, so the decode rows are
     * {@code [0, decodeRows())}.
     */
    void add(Sequence sequence) {
        if (sequence.length() == 1) {
            if (!chunks.isEmpty()) {
                throw new IllegalStateException("decode rows must precede prefill chunks");
            }
            decodes.add(sequence);
        } else {
            chunks.add(new Chunk(rows, sequence));
        }
        rows += sequence.length();
    }

    int rows() {
        return rows;
    }

    int decodeRows() {
        return decodes.size();
    }

    List<Chunk> chunks() {
        return chunks;
    }

    int blockPositions() {
        return blockPositions;
    }

    /** The longest context among the decodes, after this step: the keys a batched decode attends over. */
    int decodeContext() {
        return decodes.stream().mapToInt(sequence -> sequence.start() + 1).max().orElse(0);
    }

    /**
     * Whether the chunks attend as one padded batch (several chunks, none longer than
     * {@value #GROUPED_CHUNK_LIMIT}: new short prompts arriving together) rather than one by one, which costs a dozen
     * operations a chunk and layer.
     */
    boolean chunksGrouped() {
        return chunks.size() > 1 && chunks.stream().allMatch(c -> c.sequence().length() <= GROUPED_CHUNK_LIMIT);
    }

    /** The longest chunk. */
    int longestChunk() {
        return chunks.stream()
                .mapToInt(chunk -> chunk.sequence().length())
                .max()
                .orElse(0);
    }

    /** The longest context among the chunks, after this step. */
    int chunkContext() {
        return chunks.stream()
                .mapToInt(c -> c.sequence().start() + c.sequence().length())
                .max()
                .orElse(0);
    }

    /** Blocks that hold {@code positions} positions. */
    int blocksFor(int positions) {
        return (positions + blockPositions - 1) / blockPositions;
    }

    /**
     * The blocks of the decode rows' first {@link #decodeContext()} positions, int64 [B * M] for M blocks a row: row
     * b's blocks at {@code [b * M, (b + 1) * M)}, padded with block 0 where its table is shorter.
     */
    NDArray decodeBlocks(NDManager step) {
        return paddedBlocks(decodes, blocksFor(decodeContext()), step);
    }

    /** The chunks' blocks for {@link #chunkContext()} positions, padded as {@link #decodeBlocks}: int64 [C * M]. */
    NDArray chunkBlocks(NDManager step) {
        return paddedBlocks(chunks.stream().map(Chunk::sequence).toList(), blocksFor(chunkContext()), step);
    }

    /** One chunk's blocks, those of its context: int64 [M]. */
    NDArray blocksOf(Sequence chunk, NDManager step) {
        return paddedBlocks(List.of(chunk), blocksFor(chunk.start() + chunk.length()), step);
    }

    private static NDArray paddedBlocks(List<Sequence> sequences, int perSequence, NDManager step) {
        long[] ids = new long[sequences.size() * perSequence];
        for (int s = 0; s < sequences.size(); s++) {
            PagedKvCache.BlockTable table = sequences.get(s).table();
            for (int b = 0; b < Math.min(perSequence, table.size()); b++) {
                ids[s * perSequence + b] = table.id(b);
            }
        }
        return step.create(ids);
    }

    /** Each chunk row's (chunk, row within the chunk): its place in the padded [chunks, longest] batch. */
    NDIndex chunkPlaces(NDManager step) {
        int chunkRows = rows - decodes.size();
        long[] chunkOfRow = new long[chunkRows];
        long[] rowInChunk = new long[chunkRows];
        int r = 0;
        for (int c = 0; c < chunks.size(); c++) {
            for (int t = 0; t < chunks.get(c).sequence().length(); t++, r++) {
                chunkOfRow[r] = c;
                rowInChunk[r] = t;
            }
        }
        return new NDIndex("{}, {}", step.create(chunkOfRow), step.create(rowInChunk));
    }

    /**
     * Additive mask [C, G*L, S] of the padded chunk batch (L the longest chunk, S {@link #chunkContext()}): row
     * g*L + t of chunk c sees positions up to {@code start_c + t}; a padding row sees position 0 only, so it never
     * divides by zero (its output is discarded).
     */
    NDArray groupedChunkMask(int group, NDManager step, DataType type) {
        int longest = longestChunk();
        int context = chunkContext();
        float[] mask = new float[chunks.size() * group * longest * context];
        int row = 0;
        for (Chunk chunk : chunks) {
            for (int g = 0; g < group; g++) {
                for (int t = 0; t < longest; t++, row++) {
                    int visible =
                            t < chunk.sequence().length() ? chunk.sequence().start() + t + 1 : 1;
                    Arrays.fill(mask, row * context + visible, (row + 1) * context, Float.NEGATIVE_INFINITY);
                }
            }
        }
        return inType(step.create(mask, new Shape(chunks.size(), (long) group * longest, context)), type);
    }

    /** The longest context any sequence reaches after this step. */
    int maxContext() {
        int context = decodeContext();
        for (Chunk chunk : chunks) {
            context = Math.max(
                    context, chunk.sequence().start() + chunk.sequence().length());
        }
        return context;
    }

    /** Every row's position, int64 [N]: RoPE angles. */
    NDArray positionOfRow(NDManager step) {
        long[] positions = new long[rows];
        int r = 0;
        for (Sequence sequence : sequences()) {
            for (int t = 0; t < sequence.length(); t++) {
                positions[r++] = sequence.start() + t;
            }
        }
        return step.create(positions);
    }

    /**
     * Where every row's key and value go in the cache: an index {@code (:, block[N], offset[N])} over
     * {@code [kvHeads, blocks, blockPositions, headDim]}.
     */
    NDIndex cacheRows(NDManager step) {
        NDArray[] ids = cacheRowIds(step);
        return new NDIndex(":, {}, {}", ids[0], ids[1]);
    }

    /** The blocks and offsets of {@link #cacheRows}: int64 [N] each, owned by {@code step}. */
    NDArray[] cacheRowIds(NDManager step) {
        long[] blocks = new long[rows];
        long[] offsets = new long[rows];
        int r = 0;
        for (Sequence sequence : sequences()) {
            for (int t = 0; t < sequence.length(); t++, r++) {
                int position = sequence.start() + t;
                blocks[r] = sequence.table().id(position / blockPositions);
                offsets[r] = position % blockPositions;
            }
        }
        return new NDArray[] {step.create(blocks), step.create(offsets)};
    }

    private List<Sequence> sequences() {
        List<Sequence> all = new ArrayList<>(decodes);
        chunks.forEach(chunk -> all.add(chunk.sequence()));
        return all;
    }

    /** Whether some decode row must not see all {@link #decodeContext()} positions. */
    boolean decodeNeedsMask() {
        int context = decodeContext();
        return decodes.stream().anyMatch(decode -> decode.start() + 1 != context);
    }

    /**
     * Additive mask [B, 1, S] over the decode rows and {@link #decodeContext()} positions: a row sees its own
     * positions up to the new one.
     */
    NDArray decodeMask(NDManager step, DataType type) {
        int context = decodeContext();
        float[] mask = new float[decodes.size() * context];
        for (int r = 0; r < decodes.size(); r++) {
            Arrays.fill(mask, r * context + decodes.get(r).start() + 1, (r + 1) * context, Float.NEGATIVE_INFINITY);
        }
        return inType(step.create(mask, new Shape(decodes.size(), 1, context)), type);
    }

    /**
     * Additive causal mask [G*T, S] of a chunk of T positions from {@code start}, S = start + T: query t sees keys
     * up to position {@code start + t}. Rows repeat for each of the G query heads that share a kv head.
     */
    static NDArray causalMask(Sequence chunk, int group, NDManager step, DataType type) {
        int length = chunk.length();
        int start = chunk.start();
        int context = start + length;
        float[] mask = new float[group * length * context];
        for (int g = 0; g < group; g++) {
            for (int t = 0; t < length; t++) {
                int row = (g * length + t) * context;
                Arrays.fill(mask, row + start + t + 1, row + context, Float.NEGATIVE_INFINITY);
            }
        }
        return inType(step.create(mask, new Shape((long) group * length, context)), type);
    }

    private static NDArray inType(NDArray floats, DataType type) {
        return type == DataType.FLOAT32 ? floats : floats.toType(type, false);
    }
}
