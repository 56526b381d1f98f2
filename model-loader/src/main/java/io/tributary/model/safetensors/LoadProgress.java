package io.tributary.model.safetensors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Logs how far the loading of a large checkpoint has got, every tenth of its bytes, so an operator watching a
 * multi-gigabyte load sees it advance. Small checkpoints (under {@link #LOGGED_FROM} bytes) load silently.
 */
final class LoadProgress {

    static final long LOGGED_FROM = 512L << 20;
    private static final Logger LOG = LoggerFactory.getLogger(LoadProgress.class);

    private final Path directory;
    private final long total;
    private final AtomicLong loaded = new AtomicLong();
    private final long started = System.nanoTime();

    LoadProgress(Path directory, long totalBytes) {
        this.directory = directory;
        this.total = totalBytes;
    }

    void add(long bytes) {
        if (total < LOGGED_FROM) {
            return;
        }
        long before = loaded.getAndAdd(bytes);
        long after = before + bytes;
        if (after * 10 / total > before * 10 / total) {
            double seconds = (System.nanoTime() - started) / 1e9;
            LOG.info(
                    "{}: loaded {} of {} MB ({}%) in {} s",
                    directory, after >> 20, total >> 20, after * 100 / total, String.format("%.1f", seconds));
        }
    }
}
