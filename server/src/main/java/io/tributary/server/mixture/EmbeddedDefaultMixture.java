package io.tributary.server.mixture;

import io.tributary.model.tiny.TinyCheckpoints;
import io.tributary.model.tiny.TinyLlamaSpec;
import io.tributary.server.config.InvalidSettingException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The mixture served when no manifest is given: two small Llama-architecture experts with one shared tokenizer
 * and different (deterministic) random weights, written on first start so that {@code java -jar} alone works.
 * Their text is gibberish — they were never trained — but every stage of serving is real.
 */
public final class EmbeddedDefaultMixture {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDefaultMixture.class);

    /** Bump when the generator's output changes, so stale caches are not reused. */
    static final String VERSION = "embedded-default-v1";
    static final long[] SEEDS = {20260101L, 20260202L};

    private EmbeddedDefaultMixture() {
    }

    /** Returns the manifest of the embedded default mixture, writing it under {@code cacheDir} if needed. */
    public static Path ensure(Path cacheDir) {
        Path root = cacheDir.resolve(VERSION);
        Path manifest = root.resolve("mixture.yaml");
        if (Files.isRegularFile(manifest)) {
            return manifest;
        }
        try {
            Files.createDirectories(cacheDir);
            // Write beside, then move into place: a crash or a concurrent first start never leaves half a mixture.
            Path staging = Files.createTempDirectory(cacheDir, VERSION + ".staging-");
            long started = System.nanoTime();
            TinyCheckpoints.writeLlamaMixture(staging, TinyLlamaSpec.small(), SEEDS);
            ManifestReader.write(staging.resolve("mixture.yaml"), MixtureManifest.of("tributary-embedded-default",
                    MixtureManifest.RouterEntry.of("uniform"), "expert-0", "expert-1"));
            moveIntoPlace(staging, root);
            LOG.info("wrote the embedded default mixture to {} in {} ms", root, (System.nanoTime() - started) / 1_000_000);
            return manifest;
        } catch (IOException e) {
            throw new InvalidSettingException("tributary.cache-dir", "cannot write the embedded default mixture "
                    + "under " + cacheDir + " (" + e + ")", "Set tributary.cache-dir (environment variable "
                    + "TRIBUTARY_CACHE_DIR) to a writable directory, or serve your own mixture with tributary.mixture.",
                    e);
        }
    }

    private static void moveIntoPlace(Path staging, Path root) throws IOException {
        try {
            Files.move(staging, root, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteRecursively(staging);
            if (!Files.isRegularFile(root.resolve("mixture.yaml"))) {
                throw e;
            }
            // Another server sharing this cache directory finished first: use its copy, identical by design.
        }
    }

    private static void deleteRecursively(Path directory) throws IOException {
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
