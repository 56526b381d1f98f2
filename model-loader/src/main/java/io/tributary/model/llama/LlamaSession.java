package io.tributary.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.NativeTarget;
import io.tributary.routing.ExpertSession;
import java.util.Arrays;

/**
 * One request inside a Llama-decoder expert (text-only or vision-language). The prompt and each appended token
 * wait until {@link #nextLogProbs()} asks for the distribution they lead to, so a generation that stops after its
 * last append never pays for an unused step, and several appends in a row run as one step.
 *
 * <p>Memory: the session's manager owns the KV cache and nothing else; each step runs in a sub-manager closed
 * when the step ends, so a step's activations (image features included) never outlive it.
 */
public final class LlamaSession implements ExpertSession {

    private final LlamaModel model;
    private final NDManager manager;
    private final KvCache cache;
    private DecoderPrompt prompt; // null once prefilled
    private int[] pending = new int[0]; // tokens appended but not yet run through the model
    private int cached;                 // positions already in the KV cache
    private float[] logProbs;
    private Double promptLogLikelihood; // set by a prefill that was asked to score the prompt
    private boolean closed;

    /**
     * @param manager the session's own manager (a child of the expert's), closed with the session
     * @throws IllegalArgumentException if the prompt is longer than {@code max_position_embeddings}
     */
    public LlamaSession(LlamaModel model, NDManager manager, DataType dataType, DecoderPrompt prompt) {
        int maxPositions = model.config().maxPositionEmbeddings();
        if (prompt.length() > maxPositions) {
            manager.close();
            throw new IllegalArgumentException("prompt of " + prompt.length() + " positions exceeds"
                    + " max_position_embeddings of " + maxPositions);
        }
        this.model = model;
        this.manager = manager;
        this.cache = new KvCache(model.config(), manager, dataType);
        this.prompt = prompt;
    }

    @Override
    public float[] nextLogProbs() {
        checkOpen();
        if (prompt != null) {
            prefill(false);
        }
        if (pending.length > 0) {
            step(pending);
            pending = new int[0];
        }
        return logProbs.clone();
    }

    /** Runs the prefill now if it has not run, scoring the prompt on the way (chunked, see LlamaModel). */
    @Override
    public double promptLogLikelihood() {
        checkOpen();
        if (prompt != null) {
            prefill(true);
        }
        if (promptLogLikelihood == null) {
            throw new IllegalStateException("the prompt's likelihood must be asked for before the first"
                    + " nextLogProbs(): the prefill that computes it has already run");
        }
        return promptLogLikelihood;
    }

    private void prefill(boolean score) {
        NativeTarget.prepareInferenceThread();
        cache.ensureCapacity(prompt.length());
        try (NDManager step = manager.newSubManager()) {
            NDArray hidden = model.hiddenStates(prompt.embedder().embed(model, step), 0, cache, step);
            logProbs = model.lastLogProbs(hidden).toFloatArray();
            if (score) {
                promptLogLikelihood = model.sumLogProbs(hidden, prompt.tokenIds(), prompt.text());
            }
        }
        cached = prompt.length();
        prompt = null;
    }

    private void step(int[] tokens) {
        NativeTarget.prepareInferenceThread();
        cache.ensureCapacity(cached + tokens.length);
        try (NDManager step = manager.newSubManager()) {
            logProbs = model.forward(tokens, cached, cache, step).toFloatArray();
        }
        cached += tokens.length;
    }

    @Override
    public void append(int tokenId) {
        checkOpen();
        int vocabulary = model.config().vocabSize();
        if (tokenId < 0 || tokenId >= vocabulary) {
            throw new IllegalArgumentException("token id " + tokenId + " is outside the vocabulary of " + vocabulary);
        }
        int maxPositions = model.config().maxPositionEmbeddings();
        if (length() >= maxPositions) {
            throw new IllegalStateException("context is full: max_position_embeddings is " + maxPositions);
        }
        pending = Arrays.copyOf(pending, pending.length + 1);
        pending[pending.length - 1] = tokenId;
    }

    @Override
    public int length() {
        return (prompt != null ? prompt.length() : cached) + pending.length;
    }

    /** Positions the KV cache has room for without growing (for tests and metrics). */
    int cacheCapacity() {
        return cache.capacity();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            cache.close();
            manager.close();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("session is closed");
        }
    }
}
