package io.tributary.model.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one encoder run of a CLIP tower kept for one image: the hidden states its consumers read and, when a router
 * reads it, the pooled output. Whoever owns the manager of these arrays owns them.
 *
 * @param hiddenStates hidden-state index (0 = embeddings, i = after encoder layer i - 1) to [N + 1, E], class
 *                     token first
 * @param pooled       post_layernorm of the last layer's class token, [E]; null when no consumer asked for it
 */
public record TowerOutputs(Map<Integer, NDArray> hiddenStates, NDArray pooled) {

    public TowerOutputs {
        hiddenStates = Collections.unmodifiableMap(new TreeMap<>(hiddenStates));
    }

    /** @throws IllegalStateException if this run did not keep hidden state {@code index} */
    public NDArray hiddenState(int index) {
        NDArray state = hiddenStates.get(index);
        if (state == null) {
            throw new IllegalStateException("hidden state " + index + " was not kept (kept " + hiddenStates.keySet()
                    + "): the consumer did not register what it reads");
        }
        return state;
    }

    /** @throws IllegalStateException if this run did not keep the pooled output */
    public NDArray pooledOutput() {
        if (pooled == null) {
            throw new IllegalStateException("the pooled output was not kept: the consumer did not register it");
        }
        return pooled;
    }

    /** Whether this run kept everything {@code needs} asks for. */
    boolean covers(TowerNeeds needs) {
        return hiddenStates.keySet().containsAll(needs.layers()) && (!needs.pooled() || pooled != null);
    }

    /** Native bytes held. */
    long bytes() {
        long bytes = pooled == null ? 0 : bytesOf(pooled);
        for (NDArray state : hiddenStates.values()) {
            bytes += bytesOf(state);
        }
        return bytes;
    }

    /**
     * Deep copies owned by {@code target}: a view made in {@code target} (so the copy lands there, not in this run's
     * manager), duplicated, the view closed. The copies share no storage with these arrays.
     */
    TowerOutputs copyInto(NDManager target) {
        Map<Integer, NDArray> states = new TreeMap<>();
        hiddenStates.forEach((index, state) -> states.put(index, copy(state, target)));
        return new TowerOutputs(states, pooled == null ? null : copy(pooled, target));
    }

    private static NDArray copy(NDArray source, NDManager target) {
        try (NDArray view = source.get(target, new NDIndex(":"))) {
            return view.duplicate();
        }
    }

    private static long bytesOf(NDArray array) {
        return array.getShape().size() * array.getDataType().getNumOfBytes();
    }
}
