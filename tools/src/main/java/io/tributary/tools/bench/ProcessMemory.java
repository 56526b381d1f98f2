package io.tributary.tools.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's memory as Linux reports it in {@code /proc/self/status}, in bytes: resident set (anonymous memory
 * plus mapped file pages, such as memory-mapped weights, that have been touched) and its high-water mark.
 *
 * @param peakResident {@code VmHWM}: the largest resident set so far
 * @param resident     {@code VmRSS}
 * @param anonymous    {@code RssAnon}: heap, native tensors, copies
 * @param file         {@code RssFile}: mapped file pages (memory-mapped weights, libraries)
 */
record ProcessMemory(long peakResident, long resident, long anonymous, long file) {

    private static final Path STATUS = Path.of("/proc/self/status");

    static boolean available() {
        return Files.isReadable(STATUS);
    }

    static ProcessMemory now() {
        try {
            String status = Files.readString(STATUS);
            return new ProcessMemory(
                    field(status, "VmHWM"), field(status, "VmRSS"), field(status, "RssAnon"), field(status, "RssFile"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A "Name:   1234 kB" line, in bytes; -1 if the kernel does not report it. */
    private static long field(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name + ":")) {
                String[] parts = line.substring(name.length() + 1).trim().split("\\s+");
                return Long.parseLong(parts[0]) * 1024;
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return String.format(
                "RSS %.2f GB (anonymous %.2f, file-backed %.2f), peak %.2f GB",
                gb(resident), gb(anonymous), gb(file), gb(peakResident));
    }

    static double gb(long bytes) {
        return bytes / 1e9;
    }
}
