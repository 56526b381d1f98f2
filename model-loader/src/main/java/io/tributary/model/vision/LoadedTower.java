package io.tributary.model.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.tributary.model.NativeTarget;
import io.tributary.model.clip.ClipVisionModel;
import io.tributary.model.image.PixelValues;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One distinct CLIP tower held by {@link VisionTowers}: its weights, loaded once into its own manager, what its
 * consumers read (the union of their needs), and how many consumers hold it.
 */
final class LoadedTower {

    private final String key;
    private final String digest;
    private final ClipVisionModel model;
    private final NDManager weights;
    private final AtomicLong encodes;
    private TowerNeeds needs = TowerNeeds.NONE;
    private int references;

    LoadedTower(String key, String digest, ClipVisionModel model, NDManager weights, AtomicLong encodes) {
        this.key = key;
        this.digest = digest;
        this.model = model;
        this.weights = weights;
        this.encodes = encodes;
    }

    String key() {
        return key;
    }

    String digest() {
        return digest;
    }

    ClipVisionModel model() {
        return model;
    }

    synchronized void require(TowerNeeds more) {
        needs = needs.union(more);
    }

    synchronized TowerNeeds needs() {
        return needs;
    }

    /** Guarded by the registry. */
    int retain() {
        return ++references;
    }

    /** Guarded by the registry. */
    int release() {
        return --references;
    }

    int liveArrays() {
        return NativeTarget.liveArrays(weights);
    }

    /**
     * One encoder run over one image for everything the consumers read, in a manager of its own (a child of no
     * one, on the weights' device): the kept arrays move there, the rest of the run is closed with its work manager.
     */
    CachedEncoding run(PixelValues pixels) {
        NativeTarget.prepareInferenceThread();
        TowerNeeds wanted = needs();
        int layers = model.config().numHiddenLayers();
        NDManager owner = NDManager.newBaseManager(
                weights.getDevice(), weights.getEngine().getEngineName());
        owner.setName("vision-encoding");
        try (NDManager work = owner.newSubManager()) {
            List<NDArray> states = model.hiddenStates(model.pixels(List.of(pixels), work), wanted.layersToRun(layers));
            Map<Integer, NDArray> kept = new TreeMap<>();
            for (int layer : wanted.layers()) {
                kept.put(layer, keep(states.get(layer).get(0), owner)); // [N + 1, E]
            }
            NDArray pooled =
                    wanted.pooled() ? keep(model.pooled(states.get(layers)).get(0), owner) : null; // [E]
            encodes.incrementAndGet();
            return new CachedEncoding(owner, new TowerOutputs(kept, pooled));
        } catch (RuntimeException e) {
            owner.close();
            throw e;
        }
    }

    /** A view of the run's batch of one, moved to its owner; the storage outlives the work manager's handle. */
    private static NDArray keep(NDArray array, NDManager owner) {
        array.attach(owner);
        return array;
    }

    void close() {
        weights.close();
    }
}
