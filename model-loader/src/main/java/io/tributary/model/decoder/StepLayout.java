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
 * slot range; each longer chunk (a prompt being prefilled, a catch-up) attends on its own, with a causal mask.
 */
final class StepLayout {

    /** Chunks this short or shorter attend as one padded batch when a step has several. */
    static final int GROUPED_CHUNK_LIMIT = 64;

    /** One sequence's rows: {@code length} new positions from {@code start}, cached at {@code slot}. */
    record Sequence(int slot, int start, int length) {}

    /** A prefill chunk's rows {@code [row, row + length)}. */
    record Chunk(int row, Sequence sequence) {}

    private final List<Sequence> decodes = new ArrayList<>();
    private final List<Chunk> chunks = new ArrayList<>();
    private int rows;

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

    /** The lowest slot among the decodes. */
    int decodeSlotFrom() {
        return decodes.stream().mapToInt(Sequence::slot).min().orElse(0);
    }

    /** One past the highest slot among the decodes. */
    int decodeSlotTo() {
        return decodes.stream().mapToInt(Sequence::slot).max().orElse(-1) + 1;
    }

    /** The longest context among the decodes, after this step: the keys a batched decode attends over. */
    int decodeContext() {
        return decodes.stream().mapToInt(sequence -> sequence.start() + 1).max().orElse(0);
    }

    /** Whether decode row r sits at slot {@code decodeSlotFrom() + r}: then no query scatter or gather is needed. */
    boolean decodeSlotsDense() {
        int from = decodeSlotFrom();
        for (int r = 0; r < decodes.size(); r++) {
            if (decodes.get(r).slot() != from + r) {
                return false;
            }
        }
        return true;
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

    /** Each chunk's slot, int64 [chunks]. */
    NDArray chunkSlots(NDManager step) {
        return step.create(
                chunks.stream().mapToLong(chunk -> chunk.sequence().slot()).toArray());
    }

    /**
     * Additive mask [C, 1, G*L, S] of the padded chunk batch (L the longest chunk, S {@link #chunkContext()}): row
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
        return inType(step.create(mask, new Shape(chunks.size(), 1, (long) group * longest, context)), type);
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

    /** The highest slot used, plus one. */
    int slotCount() {
        int count = decodeSlotTo();
        for (Chunk chunk : chunks) {
            count = Math.max(count, chunk.sequence().slot() + 1);
        }
        return count;
    }

    /** Every row's position, int64 [N]: RoPE angles and the cache's write index. */
    NDArray positionOfRow(NDManager step) {
        long[] positions = new long[rows];
        int r = 0;
        for (Sequence decode : decodes) {
            positions[r++] = decode.start();
        }
        for (Chunk chunk : chunks) {
            for (int t = 0; t < chunk.sequence().length(); t++) {
                positions[r++] = chunk.sequence().start() + t;
            }
        }
        return step.create(positions);
    }

    /** Every row's slot, int64 [N]: the cache's write index. */
    NDArray slotOfRow(NDManager step) {
        long[] slots = new long[rows];
        int r = 0;
        for (Sequence decode : decodes) {
            slots[r++] = decode.slot();
        }
        for (Chunk chunk : chunks) {
            Arrays.fill(
                    slots, r, r + chunk.sequence().length(), chunk.sequence().slot());
            r += chunk.sequence().length();
        }
        return step.create(slots);
    }

    /** Each decode row's slot minus {@link #decodeSlotFrom()}, int64 [decodes]: where its query goes in the range. */
    NDArray decodeSlotOffsets(NDManager step) {
        int from = decodeSlotFrom();
        return step.create(
                decodes.stream().mapToLong(sequence -> sequence.slot() - from).toArray());
    }

    /** Whether some slot of the decode range must not see all {@link #decodeContext()} positions. */
    boolean decodeNeedsMask() {
        int context = decodeContext();
        return !decodeSlotsDense() || decodes.stream().anyMatch(decode -> decode.start() + 1 != context);
    }

    /**
     * Additive mask [R, 1, 1, S] over the decode slot range (R slots) and {@link #decodeContext()} positions: a
     * decoding slot sees its own positions up to the new one; a slot of the range with no decode this step sees
     * position 0 only, so its (discarded) row never divides by zero.
     */
    NDArray decodeMask(NDManager step, DataType type) {
        int from = decodeSlotFrom();
        int range = decodeSlotTo() - from;
        int context = decodeContext();
        float[] mask = new float[range * context];
        int[] visible = new int[range];
        Arrays.fill(visible, 1);
        for (Sequence decode : decodes) {
            visible[decode.slot() - from] = decode.start() + 1;
        }
        for (int r = 0; r < range; r++) {
            Arrays.fill(mask, r * context + visible[r], (r + 1) * context, Float.NEGATIVE_INFINITY);
        }
        return inType(step.create(mask, new Shape(range, 1, 1, context)), type);
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
