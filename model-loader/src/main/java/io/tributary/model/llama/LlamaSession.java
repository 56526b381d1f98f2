package io.tributary.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.NativeTarget;
import io.tributary.routing.ExpertSession;
import java.util.Arrays;

/**
 * One request inside a {@link LlamaExpert}. Tokens are fed lazily: the prompt and each appended token wait until
 * {@link #nextLogProbs()} asks for the distribution they lead to, so a generation that stops after its last
 * append never pays for an unused step, and several appends in a row run as one step.
 *
 * <p>Memory: the session's manager owns the KV cache and nothing else; each step runs in a sub-manager closed
 * when the step ends, so a step's activations never outlive it.
 */
final class LlamaSession implements ExpertSession {

    private final LlamaExpert expert;
    private final LlamaModel model;
    private final NDManager manager;
    private final KvCache cache;
    private int[] pending;  // tokens fed but not yet run through the model
    private int cached;     // positions already in the KV cache
    private float[] logProbs;
    private boolean closed;

    LlamaSession(LlamaExpert expert, LlamaModel model, NDManager manager, DataType dataType, int[] prompt) {
        this.expert = expert;
        this.model = model;
        this.manager = manager;
        this.cache = new KvCache(model.config(), manager, dataType);
        this.pending = prompt;
    }

    @Override
    public float[] nextLogProbs() {
        checkOpen();
        if (pending.length > 0) {
            NativeTarget.prepareInferenceThread();
            cache.ensureCapacity(cached + pending.length);
            try (NDManager step = manager.newSubManager()) {
                NDArray result = model.forward(pending, cached, cache, step);
                logProbs = result.toFloatArray();
            }
            cached += pending.length;
            pending = new int[0];
        }
        return logProbs.clone();
    }

    @Override
    public void append(int tokenId) {
        checkOpen();
        expert.checkToken(tokenId);
        int maxPositions = model.config().maxPositionEmbeddings();
        if (length() >= maxPositions) {
            throw new IllegalStateException("context is full: max_position_embeddings is " + maxPositions);
        }
        pending = Arrays.copyOf(pending, pending.length + 1);
        pending[pending.length - 1] = tokenId;
    }

    @Override
    public int length() {
        return cached + pending.length;
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
