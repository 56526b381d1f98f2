package io.tributary.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.NativeTarget;
import io.tributary.routing.BatchEntry;
import io.tributary.routing.ExpertBatch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One decoder's sessions and their batched steps: the part LLaMA, LLaVA and InternVL experts share. It owns the
 * slot KV cache of every open session and runs an {@link ExpertBatch} as one forward pass, so every linear layer
 * multiplies all the batch's rows at once.
 *
 * <p>Thread-safe: steps, session openings and closings take turns on this object. Each step's activations live in
 * a sub-manager closed when the step ends.
 */
public final class BatchDecoder implements AutoCloseable {

    private final LlamaModel model;
    private final NDManager manager;
    private final DataType dataType;
    private final SlotKvCache cache;
    private final RowSplit rowSplit;

    /**
     * A decoder that multiplies by its large weights on two cores where that helps (see {@link RowSplit}).
     *
     * @param manager the expert's manager: sessions, steps and the cache hang below it
     */
    public BatchDecoder(LlamaModel model, NDManager manager, DataType dataType) {
        this(model, manager, dataType, true);
    }

    /** @param splitLargeMatmuls whether large weights are multiplied on two cores (benchmarks compare both) */
    public BatchDecoder(LlamaModel model, NDManager manager, DataType dataType, boolean splitLargeMatmuls) {
        this.model = model;
        this.manager = manager;
        this.dataType = dataType;
        this.cache = new SlotKvCache(model.config(), manager, dataType);
        this.rowSplit = splitLargeMatmuls ? RowSplit.forDevice(manager) : null;
        model.splitRowsWith(rowSplit);
    }

    /** Stops the thread that shares large matmuls; the weights and sessions belong to the expert's manager. */
    @Override
    public void close() {
        if (rowSplit != null) {
            rowSplit.close();
        }
    }

    public LlamaModel model() {
        return model;
    }

    /** Bytes of KV cache one position of one session takes. */
    public long kvBytesPerPosition() {
        return SlotKvCache.bytesPerPosition(model.config(), dataType);
    }

    /** Bytes the KV cache holds now (0 when no session is open). */
    public synchronized long kvAllocatedBytes() {
        return cache.allocatedBytes();
    }

    /** Positions per slot the KV cache has room for now (for tests). */
    synchronized int kvCapacity() {
        return cache.capacity();
    }

    /**
     * Opens a session for {@code prompt}; the caller owns it and must close it.
     *
     * @throws IllegalArgumentException if the prompt is longer than {@code max_position_embeddings}
     */
    public DecoderSession open(DecoderPrompt prompt) {
        int maxPositions = model.config().maxPositionEmbeddings();
        if (prompt.length() > maxPositions) {
            throw new IllegalArgumentException("prompt of " + prompt.length() + " positions exceeds"
                    + " max_position_embeddings of " + maxPositions);
        }
        synchronized (this) {
            return new DecoderSession(this, manager.newSubManager(), cache.acquire(), prompt);
        }
    }

    /** Frees a session's slot and its manager (after any step using them has ended). */
    synchronized void close(DecoderSession session, NDManager sessionManager) {
        cache.release(session.slot());
        sessionManager.close();
    }

    /**
     * Runs one batched step: every entry's session advances by its share of positions; a session left with no
     * pending positions gets the distribution of its next token.
     *
     * @throws IllegalArgumentException when an entry's session belongs to another decoder, is closed, or asks for
     *                                  more positions than it has pending
     */
    public synchronized void forward(ExpertBatch batch) {
        NativeTarget.prepareInferenceThread();
        List<BatchEntry> entries = decodesFirst(batch);
        StepLayout layout = new StepLayout();
        int longest = 0; // every entry's whole pending length: a chunked prompt grows the cache once
        for (BatchEntry entry : entries) {
            DecoderSession session = own(entry);
            layout.add(new StepLayout.Sequence(session.slot(), session.cachedPositions(), entry.positions()));
            longest = Math.max(longest, session.length());
        }
        cache.ensure(layout.slotCount(), longest);
        try (NDManager step = manager.newSubManager()) {
            List<NDArray> inputs = new ArrayList<>(entries.size());
            for (BatchEntry entry : entries) {
                inputs.add(((DecoderSession) entry.session()).embedNext(entry.positions(), step));
            }
            NDArray x = inputs.size() == 1 ? inputs.get(0) : NDArrays.concat(new NDList(inputs), 0);
            NDArray hidden = model.hiddenStates(x, layout, cache, step);
            float[][] logProbs = nextLogProbs(entries, hidden);
            int row = 0;
            for (int i = 0; i < entries.size(); i++) {
                BatchEntry entry = entries.get(i);
                DecoderSession session = (DecoderSession) entry.session();
                NDArray rows = entry.scorePrompt()
                        ? hidden.get(new NDIndex().addSliceDim(row, row + entry.positions()))
                        : null;
                session.scorePrompt(rows);
                session.advance(entry.positions(), logProbs[i]);
                row += entry.positions();
            }
        }
    }

    /** The next-token log-probabilities of every entry whose session runs its last pending position now. */
    private float[][] nextLogProbs(List<BatchEntry> entries, NDArray hidden) {
        float[][] result = new float[entries.size()][];
        List<Integer> completing = new ArrayList<>();
        long[] rows = new long[entries.size()];
        int row = 0;
        for (int i = 0; i < entries.size(); i++) {
            BatchEntry entry = entries.get(i);
            row += entry.positions();
            if (entry.positions() == entry.session().pendingPositions()) {
                rows[completing.size()] = row - 1;
                completing.add(i);
            }
        }
        if (completing.isEmpty()) {
            return result;
        }
        long[] picked = Arrays.copyOf(rows, completing.size());
        float[] flat = model.logProbsOfRows(hidden, picked).toFloatArray();
        int vocabulary = flat.length / completing.size();
        for (int j = 0; j < completing.size(); j++) {
            result[completing.get(j)] = Arrays.copyOfRange(flat, j * vocabulary, (j + 1) * vocabulary);
        }
        return result;
    }

    /** Decode entries (one position) first, as {@link StepLayout} wants them; otherwise the batch's order. */
    private static List<BatchEntry> decodesFirst(ExpertBatch batch) {
        List<BatchEntry> ordered = new ArrayList<>(batch.entries().size());
        batch.entries().stream().filter(entry -> entry.positions() == 1).forEach(ordered::add);
        batch.entries().stream().filter(entry -> entry.positions() > 1).forEach(ordered::add);
        return ordered;
    }

    private DecoderSession own(BatchEntry entry) {
        if (!(entry.session() instanceof DecoderSession session) || !session.belongsTo(this)) {
            throw new IllegalArgumentException("a batch entry's session belongs to another expert");
        }
        session.checkOpen();
        if (entry.positions() > session.pendingPositions()) {
            throw new IllegalArgumentException("a batch entry asks for " + entry.positions() + " positions but its"
                    + " session has " + session.pendingPositions() + " pending");
        }
        return session;
    }
}
