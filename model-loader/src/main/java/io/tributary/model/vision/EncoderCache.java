package io.tributary.model.vision;

import ai.djl.ndarray.NDManager;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Encoder runs by {@link EncodingKey}, bounded in native bytes, least recently used evicted (and closed) first.
 * Thread-safe: decode threads of concurrent requests ask for the same image at once, and one of them encodes
 * while the others wait for its result (an in-flight table), so an image is encoded once however many ask.
 *
 * <p>Ownership: each entry owns its manager; readers get deep copies in their own step manager, so no NDArray is
 * ever shared across owners, and evicting an entry never disturbs a step that copied from it.
 */
final class EncoderCache implements AutoCloseable {

    private final long maxBytes;
    private final LinkedHashMap<EncodingKey, CachedEncoding> entries = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<EncodingKey, CompletableFuture<CachedEncoding>> inFlight = new LinkedHashMap<>();
    private long bytes;
    private long hits;
    private boolean closed;

    EncoderCache(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("cache size must not be negative, got " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /**
     * The outputs for {@code key}, copied into {@code step}: from the cache when an entry covers {@code needs},
     * else from {@code encode} (run on this thread, at most once at a time per key).
     */
    TowerOutputs get(EncodingKey key, TowerNeeds needs, Supplier<CachedEncoding> encode, NDManager step) {
        while (true) {
            CachedEncoding hit = null;
            CompletableFuture<CachedEncoding> pending;
            boolean mine = false;
            synchronized (this) {
                CachedEncoding cached = entries.get(key);
                if (cached != null && cached.covers(needs)) {
                    hit = cached;
                    hits++;
                }
                pending = inFlight.get(key);
                if (hit == null && pending == null) {
                    pending = new CompletableFuture<>();
                    inFlight.put(key, pending);
                    mine = true;
                }
            }
            if (mine) {
                return encodeAndPublish(key, encode, pending, step);
            }
            CachedEncoding found = hit != null ? hit : await(pending);
            if (found.covers(needs)) {
                TowerOutputs copy = found.copyInto(step);
                if (copy != null) {
                    return copy;
                }
            }
            // Evicted before we copied, or the run kept less than we read: look again (and encode if need be).
        }
    }

    private TowerOutputs encodeAndPublish(
            EncodingKey key,
            Supplier<CachedEncoding> encode,
            CompletableFuture<CachedEncoding> pending,
            NDManager step) {
        CachedEncoding fresh = null;
        TowerOutputs copy;
        try {
            fresh = encode.get();
            copy = fresh.copyInto(step); // before anyone can evict it
        } catch (RuntimeException | Error e) {
            synchronized (this) {
                inFlight.remove(key);
            }
            pending.completeExceptionally(e); // the waiters fail alike: the same image fails the same way
            if (fresh != null) {
                fresh.close();
            }
            throw e;
        }
        List<CachedEncoding> evicted = new ArrayList<>();
        synchronized (this) {
            inFlight.remove(key);
            if (closed || fresh.bytes() > maxBytes) {
                evicted.add(fresh);
            } else {
                CachedEncoding replaced = entries.put(key, fresh);
                if (replaced != null) {
                    bytes -= replaced.bytes();
                    evicted.add(replaced);
                }
                bytes += fresh.bytes();
                evictWhileOver(evicted);
            }
        }
        pending.complete(fresh); // waiters copy unless it was closed meanwhile, then look again
        evicted.forEach(CachedEncoding::close);
        return copy;
    }

    private static CachedEncoding await(CompletableFuture<CachedEncoding> pending) {
        try {
            return pending.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw e;
        }
    }

    private void evictWhileOver(List<CachedEncoding> evicted) {
        Iterator<CachedEncoding> eldestFirst = entries.values().iterator();
        while (bytes > maxBytes && eldestFirst.hasNext()) {
            CachedEncoding eldest = eldestFirst.next();
            eldestFirst.remove();
            bytes -= eldest.bytes();
            evicted.add(eldest);
        }
    }

    synchronized boolean contains(EncodingKey key, TowerNeeds needs) {
        CachedEncoding cached = entries.get(key);
        return cached != null && cached.covers(needs);
    }

    /** Drops and closes the entries whose key matches (all of them for a tower being unloaded, say). */
    void evict(Predicate<EncodingKey> which) {
        List<CachedEncoding> evicted = new ArrayList<>();
        synchronized (this) {
            Iterator<Map.Entry<EncodingKey, CachedEncoding>> it =
                    entries.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<EncodingKey, CachedEncoding> entry = it.next();
                if (which.test(entry.getKey())) {
                    it.remove();
                    bytes -= entry.getValue().bytes();
                    evicted.add(entry.getValue());
                }
            }
        }
        evicted.forEach(CachedEncoding::close);
    }

    synchronized int size() {
        return entries.size();
    }

    synchronized long bytes() {
        return bytes;
    }

    synchronized long hits() {
        return hits;
    }

    synchronized int liveArrays() {
        return entries.values().stream().mapToInt(CachedEncoding::liveArrays).sum();
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        evict(key -> true);
    }
}
