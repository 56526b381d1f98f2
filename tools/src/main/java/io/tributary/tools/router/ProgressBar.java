package io.tributary.tools.router;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress report on the console: done/total, percentage, rate and time left, redrawn in place. */
final class ProgressBar {

    private static final long REDRAW_NANOS = 250_000_000L;

    private final String task;
    private final String unit;
    private final long total;
    private final PrintStream out;
    private final long start = System.nanoTime();
    private long done;
    private long lastDraw;

    ProgressBar(String task, String unit, long total, PrintStream out) {
        this.task = task;
        this.unit = unit;
        this.total = total;
        this.out = out;
    }

    void step(long count) {
        done += count;
        long now = System.nanoTime();
        if (now - lastDraw >= REDRAW_NANOS) {
            lastDraw = now;
            out.print("\r" + line(now));
            out.flush();
        }
    }

    /** Ends the line; returns the rate per second over the whole run. */
    double finish() {
        long now = System.nanoTime();
        out.println("\r" + line(now));
        return rate(now);
    }

    private String line(long now) {
        double rate = rate(now);
        String left = rate > 0 && done < total
                ? String.format(Locale.ROOT, ", %ds left", (long) ((total - done) / rate))
                : "";
        return String.format(
                Locale.ROOT,
                "%s %d/%d (%.1f%%), %.1f %s/s%s",
                task,
                done,
                total,
                total == 0 ? 100.0 : 100.0 * done / total,
                rate,
                unit,
                left);
    }

    private double rate(long now) {
        double seconds = (now - start) / 1e9;
        return seconds > 0 ? done / seconds : 0;
    }
}
