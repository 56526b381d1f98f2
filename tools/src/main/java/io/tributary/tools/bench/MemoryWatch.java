package io.tributary.tools.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Samples this process's memory every few milliseconds on a daemon thread: the largest anonymous and file-backed
 * resident sets since the last {@link #restart}, which {@code VmHWM} alone does not split, and the machine's
 * {@code MemAvailable}. Below {@code floorBytes} available it stops the process at once: a benchmark that loads
 * gigabytes must not push a shared machine without swap into the OOM killer.
 */
final class MemoryWatch implements AutoCloseable {

    private static final Path MEMINFO = Path.of("/proc/meminfo");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");
    private static final long PERIOD_MILLIS = 20;

    private final long floorBytes;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long maxAnonymous;
    private volatile long maxFile;
    private volatile long minAvailable = Long.MAX_VALUE;

    MemoryWatch(long floorBytes) {
        this.floorBytes = floorBytes;
        this.thread = new Thread(this::watch, "memory-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /** The largest resident sets seen since the last restart, split as {@code /proc/self/status} splits them. */
    record Peaks(long anonymous, long file, long minAvailable) {}

    /**
     * Starts a new measurement: the kernel's own high-water mark {@code VmHWM} is reset too (writing 5 to
     * {@code clear_refs}), so the next {@link ProcessMemory#now()} reports the peak since now.
     */
    synchronized Peaks restart() {
        Peaks peaks = peaks();
        try {
            Files.writeString(CLEAR_REFS, "5");
        } catch (IOException e) {
            // an old kernel: VmHWM then keeps the process's peak, which the table says is cumulative
        }
        ProcessMemory now = ProcessMemory.now();
        maxAnonymous = now.anonymous();
        maxFile = now.file();
        minAvailable = available();
        return peaks;
    }

    Peaks peaks() {
        sample();
        return new Peaks(maxAnonymous, maxFile, minAvailable);
    }

    private void watch() {
        while (running) {
            sample();
            try {
                Thread.sleep(PERIOD_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void sample() {
        ProcessMemory now = ProcessMemory.now();
        maxAnonymous = Math.max(maxAnonymous, now.anonymous());
        maxFile = Math.max(maxFile, now.file());
        long available = available();
        minAvailable = Math.min(minAvailable, available);
        if (available < floorBytes) {
            System.err.printf(
                    "MemoryWatch: the machine has %.2f GB available, below the floor of %.2f GB; stopping (%s)%n",
                    available / 1e9, floorBytes / 1e9, now);
            Runtime.getRuntime().halt(3);
        }
    }

    /** {@code MemAvailable} of {@code /proc/meminfo}, in bytes. */
    static long available() {
        try {
            for (String line : Files.readAllLines(MEMINFO)) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            return Long.MAX_VALUE;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
