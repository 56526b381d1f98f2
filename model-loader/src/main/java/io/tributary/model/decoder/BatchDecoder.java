package io.tributary.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.NativeTarget;
import io.tributary.model.kernel.FusedDecode;
import io.tributary.model.kernel.Kernels;
import io.tributary.routing.BatchEntry;
import io.tributary.routing.ExpertBatch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One decoder's sessions and their batched steps: the part LLaMA, LLaVA and InternVL experts share. It owns the
 * paged KV cache of every open session and runs an {@link ExpertBatch} as one forward pass, so every linear layer
 * multiplies all the batch's rows at once.
 *
 * <p>Thread-safe: steps, session openings and closings take turns on this object. Each step's activations live in
 * a sub-manager closed when the step ends.
 */
public final class BatchDecoder implements AutoCloseable {

    private final LlamaModel model;
    private final NDManager manager;
    private final DataType dataType;
    private final RowSplit rowSplit;
    private final Kernels kernels; // compiled once per decoder: the KV cache's block gather
    private PagedKvCache cache;

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
        this(model, manager, dataType, splitLargeMatmuls, true);
    }

    /**
     * @param fuseDecodeSteps whether a decode step of packed weights runs each layer in one call ({@link
     *                        FusedDecode}); otherwise op by op, as every other step does (benchmarks compare both)
     */
    public BatchDecoder(
            LlamaModel model,
            NDManager manager,
            DataType dataType,
            boolean splitLargeMatmuls,
            boolean fuseDecodeSteps) {
        this.model = model;
        this.manager = manager;
        this.dataType = dataType;
        this.kernels = Kernels.load(manager);
        this.cache = newCache(KvCacheSettings.DEFAULT);
        this.rowSplit = splitLargeMatmuls ? RowSplit.forDevice(manager) : null;
        model.splitRowsWith(rowSplit);
        if (fuseDecodeSteps && model.canFuseDecode()) {
            model.fuseDecodeWith(FusedDecode.load(manager));
        }
    }

    private PagedKvCache newCache(KvCacheSettings settings) {
        return new PagedKvCache(
                model.config(),
                manager,
                kernels,
                dataType,
                settings.blockPositions(),
                settings.maxCachedBlocks(kvBytesPerPosition()));
    }

    /**
     * Sets how the KV cache keeps blocks; any blocks kept for reuse are dropped.
     *
     * @throws IllegalStateException while sessions are open
     */
    public synchronized void configure(KvCacheSettings settings) {
        if (cache.heldBlocks() > 0) {
            throw new IllegalStateException("the KV cache is configured before sessions open");
        }
        cache.close();
        cache = newCache(settings);
    }

    /**
     * How many of the prompt's first positions the prefix cache holds now, the last excepted, as a session opened for
     * it would reuse them. A hint only: blocks may be evicted before the session's first step.
     */
    public synchronized int cachedPositions(DecoderPrompt prompt) {
        return cache.reusesPrefixes()
                ? new SequenceKeys(prompt).match(cache, prompt.length() - 1).positions()
                : 0;
    }

    /** Drops the blocks kept for prefix reuse that no session holds (the memory returns once nothing is held). */
    public synchronized void resetPrefixCache() {
        cache.evictCached();
    }

    /**
     * The KV cache's blocks now: held by sessions, kept for reuse, and the pool's size (the padding block included);
     * and the prompt positions looked up for reuse so far, with those found cached.
     */
    public synchronized KvCacheUsage kvCacheUsage() {
        return cache.usage();
    }

    /** See {@link #kvCacheUsage()}. */
    public record KvCacheUsage(
            int heldBlocks, int cachedBlocks, int poolBlocks, long queriedPositions, long hitPositions) {}

    /** Stops the thread that shares large matmuls; the weights and sessions belong to the expert's manager. */
    @Override
    public void close() {
        if (rowSplit != null) {
            rowSplit.close();
        }
    }

    /** Whether decode steps run a layer a call (see {@link FusedDecode}). */
    public boolean decodesFused() {
        return model.decodesFused();
    }

    public LlamaModel model() {
        return model;
    }

    /** Bytes of KV cache one position of one session takes. */
    public long kvBytesPerPosition() {
        return PagedKvCache.bytesPerPosition(model.config(), dataType);
    }

    /** Bytes the KV cache holds now (0 when no session is open). */
    public synchronized long kvAllocatedBytes() {
        return cache.allocatedBytes();
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
            return new DecoderSession(this, manager.newSubManager(), cache.newTable(), prompt);
        }
    }

    /** Frees a session's blocks and its manager (after any step using them has ended). */
    synchronized void close(DecoderSession session, NDManager sessionManager) {
        if (cache.reusesPrefixes()) {
            session.registerLastBlock(cache);
        }
        cache.release(session.blocks());
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
        // A session whose whole prompt, and the distribution after it, came from the prefix cache runs nothing.
        List<Run> runs = runs(batch).stream().filter(run -> run.positions() > 0).toList();
        if (runs.isEmpty()) {
            return;
        }
        StepLayout layout = new StepLayout(cache.blockPositions());
        for (Run run : runs) {
            int start = run.session().cachedPositions();
            cache.reserve(run.session().blocks(), start + run.positions());
            layout.add(new StepLayout.Sequence(run.session().blocks(), start, run.positions()));
        }
        try (NDManager step = manager.newSubManager()) {
            List<NDArray> inputs = new ArrayList<>(runs.size());
            for (Run run : runs) {
                inputs.add(run.session().embedNext(run.positions(), step));
            }
            NDArray x = inputs.size() == 1 ? inputs.get(0) : NDArrays.concat(new NDList(inputs), 0);
            NDArray hidden = model.hiddenStates(x, layout, cache, step);
            float[][] logProbs = nextLogProbs(runs, hidden);
            int row = 0;
            for (int i = 0; i < runs.size(); i++) {
                Run run = runs.get(i);
                NDArray rows = run.entry().scorePrompt()
                        ? hidden.get(new NDIndex().addSliceDim(row, row + run.positions()))
                        : null;
                run.session().scorePrompt(rows);
                run.session().advance(run.positions(), logProbs[i]);
                if (cache.reusesPrefixes()) {
                    run.session().registerFullBlocks(cache);
                    run.session().rememberPromptEnd(cache, logProbs[i]);
                }
                row += run.positions();
            }
        }
    }

    /**
     * One entry of a step: its session and the positions it runs, fewer than the entry asked for when the session
     * took the first ones from the prefix cache.
     */
    private record Run(BatchEntry entry, DecoderSession session, int positions) {}

    /** The next-token log-probabilities of every run whose session runs its last pending position now. */
    private float[][] nextLogProbs(List<Run> runs, NDArray hidden) {
        float[][] result = new float[runs.size()][];
        List<Integer> completing = new ArrayList<>();
        long[] rows = new long[runs.size()];
        int row = 0;
        for (int i = 0; i < runs.size(); i++) {
            Run run = runs.get(i);
            row += run.positions();
            if (run.positions() == run.session().pendingPositions()) {
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

    /**
     * The batch's runs, decodes (one position) first, as {@link StepLayout} wants them, otherwise in the batch's order.
     * A session's first unscored step first takes what the prefix cache holds of its prompt.
     */
    private List<Run> runs(ExpertBatch batch) {
        List<Run> runs = new ArrayList<>(batch.entries().size());
        for (BatchEntry entry : batch.entries()) {
            DecoderSession session = own(entry);
            if (cache.reusesPrefixes() && !entry.scorePrompt()) {
                session.adoptCachedPrefix(cache);
            }
            runs.add(new Run(entry, session, Math.min(entry.positions(), session.pendingPositions())));
        }
        List<Run> ordered = new ArrayList<>(runs.size());
        runs.stream().filter(run -> run.positions() == 1).forEach(ordered::add);
        runs.stream().filter(run -> run.positions() > 1).forEach(ordered::add);
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
