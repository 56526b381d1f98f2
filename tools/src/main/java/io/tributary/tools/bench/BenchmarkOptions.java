package io.tributary.tools.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/** The benchmarks' command lines: {@code --name value} pairs. */
final class BenchmarkOptions {

    private BenchmarkOptions() {
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --name value, got " + args[i]);
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        return options;
    }
}
