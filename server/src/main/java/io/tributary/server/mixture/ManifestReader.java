package io.tributary.server.mixture;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/** Reads and checks a mixture manifest, failing at start-up with a message that names the problem. */
public final class ManifestReader {

    // YAML is a superset of JSON, so one parser takes both spellings of the manifest.
    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private ManifestReader() {
    }

    public static MixtureManifest read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidManifestException(file, "no such file");
        }
        MixtureManifest manifest;
        try {
            String content = Files.readString(file);
            if (content.isBlank()) {
                throw new InvalidManifestException(file, "the file is empty");
            }
            manifest = YAML.readValue(content, MixtureManifest.class);
        } catch (IOException e) {
            throw new InvalidManifestException(file, "cannot read it: " + e.getMessage());
        } catch (JacksonException e) {
            throw new InvalidManifestException(file, e.getOriginalMessage());
        }
        check(file, manifest);
        return manifest;
    }

    /** Writes a manifest (as YAML), for tools and tests that assemble mixtures from existing checkpoints. */
    public static Path write(Path file, MixtureManifest manifest) {
        YAML.writeValue(file.toFile(), manifest);
        return file;
    }

    /** Resolves an expert's checkpoint path against the manifest's directory. */
    public static Path checkpointDirectory(Path manifestFile, MixtureManifest.ExpertEntry expert) {
        Path base = manifestFile.toAbsolutePath().getParent();
        return base.resolve(expert.path()).normalize();
    }

    private static void check(Path file, MixtureManifest manifest) {
        if (manifest.experts() == null || manifest.experts().isEmpty()) {
            throw new InvalidManifestException(file, "'experts' must list at least one expert");
        }
        Set<String> names = new HashSet<>();
        for (MixtureManifest.ExpertEntry expert : manifest.experts()) {
            if (expert == null || expert.name() == null || expert.name().isBlank()) {
                throw new InvalidManifestException(file, "every expert needs a 'name'");
            }
            if (!names.add(expert.name())) {
                throw new InvalidManifestException(file, "expert name '" + expert.name() + "' appears twice");
            }
            Path directory = checkpointDirectory(file, expert);
            if (!Files.isDirectory(directory)) {
                throw new InvalidManifestException(file, "expert '" + expert.name()
                        + "': checkpoint directory " + directory + " does not exist");
            }
        }
    }

    /** A manifest that cannot be served. */
    public static final class InvalidManifestException extends RuntimeException {
        public InvalidManifestException(Path file, String problem) {
            super("mixture manifest " + file + ": " + problem);
        }
    }
}
