package io.tributary.model.decoder;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The next-token distribution after whole prompts, keyed by the {@link BlockKey} of each prompt's last position: what
 * lets the same prompt again (a retry, the same image question) start without computing even its last position, whose
 * keys and values are cached with the rest. An entry lives while the block holding that position is cached (the
 * cache forgets it when it evicts the block), and at most {@code maxEntries} live, least recently used dropped first.
 * On the heap: one float per vocabulary entry.
 */
final class PromptEnds {

    private final int maxEntries;
    private final LinkedHashMap<BlockKey, float[]> ends;

    PromptEnds(int maxEntries) {
        this.maxEntries = maxEntries;
        this.ends = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<BlockKey, float[]> eldest) {
                return size() > PromptEnds.this.maxEntries;
            }
        };
    }

    /** The distribution after the prompt whose last position has {@code key}, or null; the caller must not change it. */
    float[] get(BlockKey key) {
        return ends.get(key);
    }

    void put(BlockKey key, float[] logProbs) {
        ends.put(key, logProbs);
    }

    void forget(BlockKey key) {
        ends.remove(key);
    }

    void clear() {
        ends.clear();
    }
}
