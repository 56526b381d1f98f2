package io.tributary.model.vision;

import ai.djl.ndarray.NDManager;
import io.tributary.model.clip.ClipVisionConfig;
import io.tributary.model.clip.ClipVisionModel;
import io.tributary.model.image.PixelValues;
import io.tributary.routing.ImageInput;

import java.util.function.Supplier;

/**
 * One consumer's hold on a tower of {@link VisionTowers}: an expert or a router reads image features through it,
 * encoded once per image for every consumer of the same tower, and closes it when it unloads. Thread-safe.
 */
public final class SharedTower implements AutoCloseable {

    private final VisionTowers registry;
    private final LoadedTower tower;
    private final TowerNeeds needs;
    private boolean closed;

    SharedTower(VisionTowers registry, LoadedTower tower, TowerNeeds needs) {
        this.registry = registry;
        this.tower = tower;
        this.needs = needs;
    }

    /** The tower's weights, shared: read-only, and never to be used after {@link #close()}. */
    public ClipVisionModel model() {
        return tower.model();
    }

    public ClipVisionConfig config() {
        return tower.model().config();
    }

    /** Hex SHA-256 of the tower's content ({@link TowerDigest}). */
    public String digest() {
        return tower.digest();
    }

    /** The tower's identity in cache keys: its digest, device and precision. */
    String key() {
        return tower.key();
    }

    /** The cache key of {@code image} preprocessed as {@code preprocessing} ({@link EncodingKey#preprocessing}). */
    public EncodingKey key(Object preprocessing, ImageInput image) {
        return new EncodingKey(tower.key(), preprocessing, EncodingKey.imageDigest(image));
    }

    /** Whether an encoding of {@code key} with everything this consumer reads is cached now. */
    public boolean isCached(EncodingKey key) {
        return registry.cache().contains(key, needs);
    }

    /**
     * This consumer's outputs for one image, as deep copies owned by {@code step}: cached, or encoded now (once,
     * however many threads ask at the same time) from {@code pixels}, which is only called on a miss.
     */
    public TowerOutputs encode(EncodingKey key, Supplier<PixelValues> pixels, NDManager step) {
        if (!key.tower().equals(tower.key())) {
            throw new IllegalArgumentException(key + " is not a key of this tower");
        }
        return registry.cache().get(key, needs, () -> tower.run(pixels.get()), step);
    }

    /** Lets go of the tower; the last consumer to close unloads it and drops its cached encodings. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        registry.release(tower);
    }

    @Override
    public String toString() {
        return "SharedTower[" + tower.digest().substring(0, 12) + ", " + config().numHiddenLayers() + " layers]";
    }
}
