package io.tributary.server;

import io.tributary.model.tiny.TinyCheckpoints;
import io.tributary.model.tiny.TinyLlamaSpec;
import io.tributary.server.mixture.ManifestReader;
import io.tributary.server.mixture.MixtureManifest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Two small Llama-architecture experts with one shared tokenizer and different deterministic random weights, under a
 * uniform router: text-only and untrained, so greedy decoding runs to its length limit instead of stopping at an
 * answer. Tests that need long generations or exact expert shapes serve this instead of the embedded default.
 */
public final class TinyTextMixture {

    public static final long[] SEEDS = {20260101L, 20260202L};
    private static Path shared;

    private TinyTextMixture() {}

    /** One copy for every test of this JVM that only reads it, written on first use and deleted on exit. */
    public static synchronized Path shared() {
        if (shared == null) {
            try {
                Path dir = Files.createTempDirectory("tiny-text-mixture");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
                shared = write(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return shared;
    }

    /** Writes {@code expert-0}, {@code expert-1} and {@code mixture.yaml} under {@code dir}; returns the manifest. */
    public static Path write(Path dir) {
        try {
            TinyCheckpoints.writeLlamaMixture(dir, TinyLlamaSpec.small(), SEEDS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ManifestReader.write(
                dir.resolve("mixture.yaml"),
                MixtureManifest.of("tiny-text", MixtureManifest.RouterEntry.of("uniform"), "expert-0", "expert-1"));
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder())
                    .forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory: the OS cleans up what is left
        }
    }
}
