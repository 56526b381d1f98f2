package io.tributary.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.tributary.model.llama.LlamaConfig;
import io.tributary.routing.ExpertBatch;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.ImageEncoding;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One request inside a Llama-decoder expert (text-only or vision-language). The prompt and each appended token
 * are pending positions until a batched step of its {@link BatchDecoder} runs them, possibly a chunk at a time;
 * {@link #nextLogProbs()} runs whatever is still pending alone. A generation that stops after its last append never
 * pays for an unused step, and several appends in a row run as one chunk.
 *
 * <p>Memory: the session holds the blocks of its positions in its decoder's KV cache, and its manager owns nothing but
 * the embeddings of an image prompt while that prompt is being prefilled (the vision tower runs once, in the first
 * chunk). Each step's activations live in the step's manager.
 *
 * <p>Prefix reuse: its first unscored step may start after positions an earlier session computed for the same first
 * inputs ({@link #adoptCachedPrefix}), and every block it fills is registered for later sessions, its answer's
 * included, so that a chat's next turn finds them; so is its last block, partly filled, when it closes.
 */
public final class DecoderSession implements ExpertSession {

    private final BatchDecoder decoder;
    private final NDManager manager;
    private final PagedKvCache.BlockTable blocks;
    private final SequenceKeys keys; // of its blocks, from the prompt as given and the answer
    private DecoderPrompt prompt; // null once every prompt position is cached
    private int promptRun; // prompt positions already cached
    private NDArray promptEmbeddings; // [L, H], an image prompt's input embeddings while it is prefilled
    private int[] pending = new int[0]; // tokens appended but not yet run through the model
    private int cached; // positions in the KV cache
    private float[] logProbs;
    private Boolean scoring; // set by the first prompt chunk: whether every chunk is scored
    private double promptLogLikelihood;
    private float[] promptTokenLogProbs; // per prompt position, NaN where nothing is predicted
    private int[] answer = new int[0]; // every token appended after the prompt, in order
    private final List<BlockKey> blockKeys = new ArrayList<>(); // keys of the full blocks, while prefixes are reused
    private int promptFromCache; // prompt positions whose keys and values were reused
    private ImageEncoding imageEncoding; // when the prompt's images were embedded; null before
    private boolean closed;

    DecoderSession(BatchDecoder decoder, NDManager manager, PagedKvCache.BlockTable blocks, DecoderPrompt prompt) {
        this.decoder = decoder;
        this.manager = manager;
        this.blocks = blocks;
        this.keys = new SequenceKeys(prompt);
        this.prompt = prompt;
    }

    @Override
    public int pendingPositions() {
        return promptLeft() + pending.length;
    }

    @Override
    public float[] nextLogProbs() {
        checkOpen();
        if (pendingPositions() > 0) {
            decoder.forward(ExpertBatch.of(this, pendingPositions(), false));
        }
        return logProbs.clone();
    }

    /** Runs the prefill now, alone, if it has not started, scoring the prompt on the way (chunked, see LlamaModel). */
    @Override
    public double promptLogLikelihood() {
        checkOpen();
        if (scoring == null && prompt != null) {
            decoder.forward(ExpertBatch.of(this, pendingPositions(), true));
        }
        if (!Boolean.TRUE.equals(scoring) || prompt != null) {
            throw new IllegalStateException("the prompt's likelihood must be asked for before the first"
                    + " nextLogProbs(): the prefill that computes it has already run unscored");
        }
        return promptLogLikelihood;
    }

    /** Scored with the prefill, as {@link #promptLogLikelihood()}: runs it now, alone, if it has not started. */
    @Override
    public float[] promptTokenLogProbs() {
        promptLogLikelihood(); // runs or checks the scored prefill
        if (promptTokenLogProbs == null) { // a one-position prompt predicts nothing
            promptTokenLogProbs = new float[] {Float.NaN};
        }
        return promptTokenLogProbs.clone();
    }

    @Override
    public void append(int tokenId) {
        checkOpen();
        LlamaConfig config = decoder.model().config();
        if (tokenId < 0 || tokenId >= config.vocabSize()) {
            throw new IllegalArgumentException(
                    "token id " + tokenId + " is outside the vocabulary of " + config.vocabSize());
        }
        if (length() >= config.maxPositionEmbeddings()) {
            throw new IllegalStateException(
                    "context is full: max_position_embeddings is " + config.maxPositionEmbeddings());
        }
        pending = Arrays.copyOf(pending, pending.length + 1);
        pending[pending.length - 1] = tokenId;
        answer = Arrays.copyOf(answer, answer.length + 1);
        answer[answer.length - 1] = tokenId;
    }

    @Override
    public int cachedPromptPositions() {
        return promptFromCache;
    }

    /**
     * Before the first step: takes the cached blocks of the longest prefix of the prompt that {@code cache} holds, then
     * a cached block that starts as the rest of the prompt does (shared until the session writes in it), and starts
     * after them. The last position is taken too only when the cache also kept the distribution after the whole
     * prompt (the same prompt again): the session then has nothing pending and its first distribution at once;
     * otherwise that position's step gives it.
     */
    void adoptCachedPrefix(PagedKvCache cache) {
        if (cached != 0 || prompt == null || promptRun != 0) {
            return;
        }
        int size = cache.blockPositions();
        SequenceKeys.Match match = keys.match(cache, prompt.length() - 1);
        BlockKey end = null;
        float[] ending = null;
        if (match.positions() == prompt.length() - 1) { // all but the last: is it kept with its distribution?
            end = keys.promptEnd(
                    size,
                    match.blocks().isEmpty()
                            ? null
                            : match.blocks().get(match.blocks().size() - 1));
            ending = cache.promptEnd(end);
        }
        List<BlockKey> full = match.blocks();
        List<BlockKey> partialKeys = match.next();
        if (ending != null && prompt.length() % size == 0) {
            full = new ArrayList<>(full);
            full.add(end); // the last position ends a block: take that block whole, and no partial one after it
            partialKeys = List.of();
        } else if (ending != null) {
            partialKeys = new ArrayList<>(partialKeys);
            partialKeys.add(end);
        }
        int adopted = cache.adopt(blocks, full, prompt.length());
        blockKeys.addAll(full.subList(0, adopted));
        int partial = adopted < full.size() ? 0 : cache.adoptPartial(blocks, partialKeys);
        promptFromCache = adopted * size + partial;
        promptRun = promptFromCache;
        cached = promptFromCache;
        if (ending != null && promptFromCache == prompt.length()) {
            prompt = null;
            logProbs = ending.clone();
        }
    }

    /**
     * After a step: when it ran the prompt's last positions and nothing after them, keeps the distribution it gave
     * ({@code nextLogProbs}) for the same prompt again ({@link #adoptCachedPrefix}).
     */
    void rememberPromptEnd(PagedKvCache cache, float[] nextLogProbs) {
        if (nextLogProbs != null && prompt == null && answer.length == 0) {
            int lastBlock = (keys.promptLength() - 1) / cache.blockPositions(); // the blocks before it are registered
            cache.rememberPromptEnd(keys.promptEnd(cache.blockPositions(), parentOf(lastBlock)), nextLogProbs.clone());
        }
    }

    /** Registers the blocks this session has filled since the last call, so that later prompts can reuse them. */
    void registerFullBlocks(PagedKvCache cache) {
        int size = cache.blockPositions();
        while (blockKeys.size() < cached / size) {
            int block = blockKeys.size();
            List<BlockKey> all = keys.allKeys(block, size, parentOf(block), answer);
            cache.register(blocks, block, all);
            blockKeys.add(all.get(all.size() - 1)); // its full key
        }
    }

    /** On closing: registers the last block, partly filled, under the partial keys of the positions it holds. */
    void registerLastBlock(PagedKvCache cache) {
        registerFullBlocks(cache);
        int size = cache.blockPositions();
        int block = blockKeys.size();
        int filled = cached - block * size;
        if (filled > 0) {
            cache.register(blocks, block, keys.partial(block, size, parentOf(block), filled, answer));
        }
    }

    private BlockKey parentOf(int block) {
        return block == 0 ? null : blockKeys.get(block - 1);
    }

    @Override
    public int length() {
        return cached + pendingPositions();
    }

    @Override
    public ImageEncoding imageEncoding() {
        return imageEncoding;
    }

    /** KV cache blocks this session holds (for tests). */
    int cacheBlocks() {
        return blocks.size();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            promptEmbeddings = null; // owned by the manager, closed with it
            decoder.close(this, manager);
        }
    }

    PagedKvCache.BlockTable blocks() {
        return blocks;
    }

    int cachedPositions() {
        return cached;
    }

    boolean belongsTo(BatchDecoder owner) {
        return decoder == owner;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("session is closed");
        }
    }

    /** Input embeddings [n, H] of the next {@code n} pending positions: prompt positions first, then tokens. */
    NDArray embedNext(int n, NDManager step) {
        LlamaModel model = decoder.model();
        int fromPrompt = Math.min(n, promptLeft());
        NDArray promptPart = fromPrompt > 0 ? promptRows(promptRun, promptRun + fromPrompt, step) : null;
        if (fromPrompt == n) {
            return promptPart;
        }
        NDArray tokenPart = model.embedTokens(Arrays.copyOf(pending, n - fromPrompt), step);
        return promptPart == null ? tokenPart : NDArrays.concat(new NDList(promptPart, tokenPart), 0);
    }

    /**
     * Adds a chunk's share of the prompt's log-likelihood, given the chunk's hidden states (null when this chunk is
     * not scored): row r predicts prompt position {@code promptRun + r + 1}. Called before {@link #advance}.
     */
    void scorePrompt(NDArray rows) {
        if (prompt == null || promptLeft() == 0) {
            return;
        }
        boolean scored = rows != null;
        scoring = scoring == null ? promptRun == 0 && scored : scoring && scored;
        int predicting = Math.min(rows == null ? 0 : (int) rows.getShape().get(0), prompt.length() - 1 - promptRun);
        if (!scoring || predicting <= 0) {
            return;
        }
        int[] ids = prompt.tokenIds();
        boolean[] text = prompt.text();
        int[] targets = new int[predicting];
        boolean[] counted = new boolean[predicting];
        for (int r = 0; r < predicting; r++) {
            targets[r] = ids[promptRun + r + 1];
            counted[r] = text[promptRun + r + 1];
        }
        float[] picked = decoder.model().targetLogProbs(rows, targets, counted);
        if (promptTokenLogProbs == null) {
            promptTokenLogProbs = new float[prompt.length()];
            java.util.Arrays.fill(promptTokenLogProbs, Float.NaN);
        }
        for (int r = 0; r < predicting; r++) {
            if (!Float.isNaN(picked[r])) {
                promptLogLikelihood += picked[r];
                promptTokenLogProbs[promptRun + r + 1] = picked[r];
            }
        }
    }

    /**
     * Records that a step ran the next {@code n} pending positions; {@code nextLogProbs} is the distribution after
     * them, non-null when they were the last pending ones.
     */
    void advance(int n, float[] nextLogProbs) {
        int fromPrompt = Math.min(n, promptLeft());
        promptRun += fromPrompt;
        if (prompt != null && promptLeft() == 0) {
            prompt = null;
            if (promptEmbeddings != null) {
                promptEmbeddings.close();
                promptEmbeddings = null;
            }
        }
        pending = Arrays.copyOfRange(pending, n - fromPrompt, pending.length);
        cached += n;
        if (nextLogProbs != null) {
            logProbs = nextLogProbs;
        }
    }

    private int promptLeft() {
        return prompt == null ? 0 : prompt.length() - promptRun;
    }

    /**
     * Prompt positions {@code [from, to)}: token embeddings for text, or rows of the embedded image prompt. When the
     * images all lie before {@code from} (their positions were reused from the cache), the vision tower is not run.
     */
    private NDArray promptRows(int from, int to, NDManager step) {
        if (promptEmbeddings == null && !prompt.hasImageFrom(from)) {
            return decoder.model().embedTokens(Arrays.copyOfRange(prompt.tokenIds(), from, to), step);
        }
        if (promptEmbeddings == null) {
            // The vision tower runs once, in the step of the first chunk; the embeddings outlive that step only
            // until the last chunk.
            long started = System.nanoTime();
            promptEmbeddings = prompt.embedder().embed(decoder.model(), step);
            promptEmbeddings.attach(manager);
            imageEncoding = new ImageEncoding(prompt.images().size(), started, System.nanoTime());
        }
        return promptEmbeddings.get(step, new NDIndex().addSliceDim(from, to));
    }
}
