package io.tributary.server.mixture;

import io.tributary.server.config.InvalidSettingException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The mixture served when no manifest is given: four tiny LLaVA experts, each fine-tuned alone on one cluster of a
 * synthetic image-question task (shapes, digits, colours, bar charts), with the router that was fitted for them
 * (an image encoder, cluster centroids, a fitted temperature and a classifier). They ship inside the jar (about
 * 4.6 MB, made by {@code router-tools reproduce}; see {@code embedded-default/README.md}) and are copied to the
 * cache directory on first start, because experts are loaded from files.
 */
public final class EmbeddedDefaultMixture {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDefaultMixture.class);

    /** Bump when the shipped files change, so stale caches are not reused. */
    static final String VERSION = "embedded-default-v2";
    /** The classpath folder holding the mixture, and the index of its files (the classpath cannot be listed). */
    static final String RESOURCES = "/embedded-default/";

    static final String INDEX = "files.txt";

    private EmbeddedDefaultMixture() {}

    /** Returns the manifest of the embedded default mixture, copying it under {@code cacheDir} if needed. */
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
            copyResources(staging);
            moveIntoPlace(staging, root);
            LOG.info(
                    "wrote the embedded default mixture to {} in {} ms",
                    root,
                    (System.nanoTime() - started) / 1_000_000);
            return manifest;
        } catch (IOException e) {
            throw new InvalidSettingException(
                    "tributary.cache-dir",
                    "cannot write the embedded default mixture " + "under " + cacheDir + " (" + e + ")",
                    "Set tributary.cache-dir (environment variable "
                            + "TRIBUTARY_CACHE_DIR) to a writable directory, or serve your own mixture with tributary.mixture.",
                    e);
        }
    }

    /** The relative paths of the shipped files, as the index lists them. */
    static List<String> files() throws IOException {
        try (InputStream index = resource(INDEX)) {
            return new String(index.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .map(String::strip)
                    .filter(line -> !line.isEmpty())
                    .toList();
        }
    }

    private static void copyResources(Path target) throws IOException {
        for (String file : files()) {
            Path destination = target.resolve(file).normalize();
            if (!destination.startsWith(target)) {
                throw new IllegalStateException("the embedded default's index names a path outside it: " + file);
            }
            Files.createDirectories(destination.getParent());
            try (InputStream in = resource(file)) {
                Files.copy(in, destination);
            }
        }
    }

    private static InputStream resource(String file) {
        InputStream in = EmbeddedDefaultMixture.class.getResourceAsStream(RESOURCES + file);
        if (in == null) {
            // Only a broken build gets here: the index and the folder are packaged together.
            throw new IllegalStateException("the jar lacks " + RESOURCES + file + " of the embedded default mixture");
        }
        return in;
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
