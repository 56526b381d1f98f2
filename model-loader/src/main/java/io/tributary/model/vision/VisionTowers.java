package io.tributary.model.vision;

import ai.djl.ndarray.NDManager;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.clip.ClipVisionConfig;
import io.tributary.model.clip.ClipVisionModel;
import io.tributary.model.kernel.WeightPacker;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The CLIP vision towers of one served mixture, one per distinct content: experts (and the router) whose towers
 * have the same {@link TowerDigest} get the same weights, loaded once, and the same {@link EncoderCache}, so an
 * image is encoded once per request whatever the number of experts. The LLaVA paradigm freezes CLIP, which makes
 * this the common case; towers that differ simply do not share. Identity is by content, never by a flag.
 *
 * <p>Create one per mixture before loading its experts, hand it to every LLaVA expert and to the router's
 * {@code ClipFeatureExtractor}, and close it after them. Thread-safe.
 */
public final class VisionTowers implements AutoCloseable {

    /** 256 MiB: ~100 images of LLaVA-1.5's ViT-L/14-336 with one kept layer in float32 (2.4 MB each). */
    public static final long DEFAULT_CACHE_BYTES = 256L << 20;

    private final EncoderCache cache;
    private final Map<String, LoadedTower> towers = new LinkedHashMap<>();
    private final AtomicLong encodes = new AtomicLong();
    private final AtomicLong digestNanos = new AtomicLong();

    /** @param cacheBytes native bytes of encoder outputs kept across requests (0 shares within concurrent runs only) */
    public VisionTowers(long cacheBytes) {
        this.cache = new EncoderCache(cacheBytes);
    }

    public VisionTowers() {
        this(DEFAULT_CACHE_BYTES);
    }

    /**
     * The tower under {@code prefix} (already validated by the caller), loaded unless a tower with the same content,
     * device and precision already is. The caller closes the returned hold.
     *
     * @param hiddenStates the hidden-state indices this consumer reads (LLaVA's resolved feature layers)
     * @param pooled       whether it reads the pooled output (a router's image embedding)
     */
    public SharedTower acquire(
            CheckpointTensors tensors,
            ClipVisionConfig config,
            String prefix,
            LoadOptions options,
            int[] hiddenStates,
            boolean pooled) {
        long started = System.nanoTime();
        String digest = TowerDigest.of(tensors, config, prefix);
        digestNanos.addAndGet(System.nanoTime() - started);
        String key = digest + "@" + options.device() + "/" + options.precision() + "/" + options.quantization();
        TowerNeeds needs = TowerNeeds.of(hiddenStates, pooled);
        synchronized (this) {
            LoadedTower tower = towers.get(key);
            if (tower == null) {
                tower = load(key, digest, tensors, config, prefix, options);
                towers.put(key, tower);
            }
            tower.retain();
            tower.require(needs);
            return new SharedTower(this, tower, needs);
        }
    }

    private LoadedTower load(
            String key,
            String digest,
            CheckpointTensors tensors,
            ClipVisionConfig config,
            String prefix,
            LoadOptions options) {
        NativeTarget.prepareInferenceThread();
        NDManager weights = NativeTarget.newModelManager(options, "vision-tower-" + digest.substring(0, 12));
        try {
            ClipVisionModel model = ClipVisionModel.loadTower(
                    tensors,
                    config,
                    prefix,
                    weights,
                    NativeTarget.dataType(options),
                    WeightPacker.forVisionTower(options, weights));
            return new LoadedTower(key, digest, model, weights, encodes);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    synchronized void release(LoadedTower tower) {
        if (tower.release() == 0 && towers.remove(tower.key()) != null) {
            cache.evict(key -> key.tower().equals(tower.key()));
            tower.close();
        }
    }

    EncoderCache cache() {
        return cache;
    }

    /** Encoder runs so far: each is one image through one tower. */
    public long encodes() {
        return encodes.get();
    }

    /** Requests for an image's features answered from the cache. */
    public long cacheHits() {
        return cache.hits();
    }

    /** Encodings held by the cache now. */
    public int cachedEncodings() {
        return cache.size();
    }

    /** Native bytes the cache holds now. */
    public long cachedBytes() {
        return cache.bytes();
    }

    /** Distinct towers loaded now. */
    /** Bytes the towers held now take. */
    public synchronized long weightBytes() {
        return towers.values().stream().mapToLong(t -> t.model().weightBytes()).sum();
    }

    public synchronized int towers() {
        return towers.size();
    }

    /** Total time spent digesting towers at load, in milliseconds. */
    public long digestMillis() {
        return digestNanos.get() / 1_000_000;
    }

    /** NDArrays alive: the towers' weights and the cached encodings. For leak checks and metrics. */
    public int liveArrays() {
        int weights;
        synchronized (this) {
            weights = towers.values().stream().mapToInt(LoadedTower::liveArrays).sum();
        }
        return weights + cache.liveArrays();
    }

    /** Drops and closes every cached encoding. */
    public void clearCache() {
        cache.evict(key -> true);
    }

    /** Closes the cache and every tower still held; holds must not be used afterwards. */
    @Override
    public void close() {
        cache.close();
        synchronized (this) {
            towers.values().forEach(LoadedTower::close);
            towers.clear();
        }
    }

    @Override
    public synchronized String toString() {
        return "VisionTowers[" + towers.size() + " towers, " + cache.size() + " cached encodings]";
    }
}
