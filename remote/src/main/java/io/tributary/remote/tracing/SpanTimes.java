package io.tributary.remote.tracing;

import java.time.Instant;
import java.util.concurrent.TimeUnit;

/** Span timestamps for moments measured with {@link System#nanoTime()}, which has no epoch. */
public final class SpanTimes {

    private SpanTimes() {}

    /** The wall-clock time, in nanoseconds since the epoch, of the {@code System.nanoTime()} reading given. */
    public static long epochNanos(long nanoTime) {
        Instant now = Instant.now();
        long elapsed = System.nanoTime() - nanoTime;
        return TimeUnit.SECONDS.toNanos(now.getEpochSecond()) + now.getNano() - elapsed;
    }
}
