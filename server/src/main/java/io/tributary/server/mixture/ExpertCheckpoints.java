package io.tributary.server.mixture;

import io.tributary.model.CheckpointInfo;
import io.tributary.model.ExpertLoader;
import io.tributary.model.ModelLoadException;
import io.tributary.model.tokenizer.HfTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What each expert's checkpoint directory says about itself before a weight is read: a supported architecture,
 * weights, a tokenizer, and the same family and tokenizer as the first expert. Every mistake names the expert's key.
 */
final class ExpertCheckpoints {

    private ExpertCheckpoints() {}

    /** @param placeholder how the checkpoint writes an image in a prompt; empty for a text-only family */
    record Inspected(Optional<String> placeholder, Set<Integer> eosTokenIds) {}

    static Inspected inspect(
            Path manifestFile, MixtureManifest manifest, int index, Path directory, ExpertLoader experts) {
        String key = "experts[" + index + "].path";
        String expert = "expert '" + manifest.experts().get(index).name() + "': ";
        try {
            Optional<String> placeholder = experts.imagePlaceholder(directory); // fails on an unknown architecture
            CheckpointInfo info = experts.inspect(directory);
            if (!Files.isRegularFile(directory.resolve(HfTokenizer.FILE_NAME))) {
                throw new InvalidManifestException(
                        manifestFile,
                        key,
                        expert + directory + " has no " + HfTokenizer.FILE_NAME + "; every expert needs its tokenizer");
            }
            if (!hasWeights(directory)) {
                throw new InvalidManifestException(
                        manifestFile,
                        key,
                        expert + directory + " has no *.safetensors "
                                + "weights (only the safetensors format is read)");
            }
            return new Inspected(placeholder, info.eosTokenIds());
        } catch (ModelLoadException | IllegalArgumentException e) {
            throw new InvalidManifestException(manifestFile, key, expert + e.getMessage(), e);
        }
    }

    /** Experts of one mixture must write images into their prompts the same way (one family). */
    static void requireSameFamily(
            Path manifestFile,
            MixtureManifest manifest,
            int index,
            Optional<String> expected,
            Optional<String> actual) {
        if (!expected.equals(actual)) {
            throw new InvalidManifestException(
                    manifestFile,
                    "experts[" + index + "].path",
                    "expert '"
                            + manifest.experts().get(index).name() + "' writes images as "
                            + actual.orElse("nothing (text only)") + " but expert '"
                            + manifest.experts().get(0).name()
                            + "' as " + expected.orElse("nothing (text only)")
                            + ": experts of one mixture must be of one "
                            + "family");
        }
    }

    /** Experts of one mixture must read and write text identically: same tokenizer file, byte for byte. */
    static void requireSameTokenizer(
            Path manifestFile, MixtureManifest manifest, int index, Path first, Path directory) {
        if (directory.equals(first)) {
            return;
        }
        try {
            byte[] reference = Files.readAllBytes(first.resolve(HfTokenizer.FILE_NAME));
            byte[] candidate = Files.readAllBytes(directory.resolve(HfTokenizer.FILE_NAME));
            if (!Arrays.equals(reference, candidate)) {
                throw new InvalidManifestException(
                        manifestFile,
                        "experts[" + index + "].path",
                        "expert '"
                                + manifest.experts().get(index).name() + "' has a different " + HfTokenizer.FILE_NAME
                                + " than expert '" + manifest.experts().get(0).name()
                                + "': experts of one mixture must "
                                + "share one tokenizer");
            }
        } catch (IOException e) {
            throw new InvalidManifestException(
                    manifestFile,
                    "experts[" + index + "].path",
                    "cannot read " + HfTokenizer.FILE_NAME + ": " + e.getMessage(),
                    e);
        }
    }

    private static boolean hasWeights(Path directory) {
        try (Stream<Path> files = Files.list(directory)) {
            return files.anyMatch(file -> file.getFileName().toString().endsWith(".safetensors"));
        } catch (IOException e) {
            return false;
        }
    }
}
