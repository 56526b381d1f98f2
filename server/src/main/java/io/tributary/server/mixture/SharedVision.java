package io.tributary.server.mixture;

import io.tributary.model.vision.VisionTowers;

/**
 * The vision towers a mixture's experts share, seen by metrics: experts with identical towers hold the weights
 * once and encode each image once per request.
 */
public interface SharedVision {

    /** Images run through a vision tower. */
    long encodes();

    /** Encodings served from the shared cache instead of running the tower again. */
    long cacheHits();

    /** Native arrays the shared towers and their cache hold. */
    int liveArrays();

    SharedVision NONE = of(null);

    static SharedVision of(VisionTowers towers) {
        return new SharedVision() {
            @Override
            public long encodes() {
                return towers == null ? 0 : towers.encodes();
            }

            @Override
            public long cacheHits() {
                return towers == null ? 0 : towers.cacheHits();
            }

            @Override
            public int liveArrays() {
                return towers == null ? 0 : towers.liveArrays();
            }
        };
    }
}
