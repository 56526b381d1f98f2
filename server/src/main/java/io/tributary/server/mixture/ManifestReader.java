package io.tributary.server.mixture;

import io.tributary.model.Precision;
import io.tributary.model.Quantization;
import io.tributary.routing.router.Routers;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads and checks a mixture manifest: its syntax, keys, value types and ranges, and that every file and directory
 * it names exists. Runs in milliseconds, before anything is loaded; a mistake fails start-up with an
 * {@link InvalidManifestException} naming the file, the key and what was expected.
 */
public final class ManifestReader {

    static final List<String> TOP_LEVEL_KEYS = List.of("name", "experts", "router");
    static final List<String> EXPERT_KEYS =
            List.of("name", "path", "address", "tls", "token_file", "precision", "quantization");
    static final List<String> TLS_KEYS = List.of("ca", "certificate", "private_key");
    static final List<String> ROUTER_KEYS = List.of(
            "mode",
            "weights",
            "temperature",
            "top_k",
            "priors",
            "centroids",
            "classifier",
            "feature_extractor",
            "fine_to_coarse",
            "feature_normalization");

    // YAML is a superset of JSON, so one parser takes both spellings of the manifest. A key written twice is a
    // mistake (the second would silently win), not a choice.
    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private ManifestReader() {}

    public static MixtureManifest read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidManifestException(
                    file,
                    null,
                    Files.isDirectory(file)
                            ? "is a directory; give the manifest file itself (e.g. mixture.yaml)"
                            : "no such file");
        }
        JsonNode root;
        try {
            String content = Files.readString(file);
            if (content.isBlank()) {
                throw new InvalidManifestException(file, null, "the file is empty");
            }
            root = YAML.readTree(content);
        } catch (IOException e) {
            throw new InvalidManifestException(file, null, "cannot read it: " + e.getMessage(), e);
        } catch (JacksonException e) {
            throw new InvalidManifestException(
                    file, null, "not valid YAML or JSON" + at(e.getLocation()) + ": " + e.getOriginalMessage(), e);
        }
        return parse(file, root);
    }

    /** Writes a manifest (as YAML), for tools and tests that assemble mixtures from existing checkpoints. */
    public static Path write(Path file, MixtureManifest manifest) {
        YAML.writeValue(file.toFile(), manifest);
        return file;
    }

    /** Resolves a local expert's checkpoint path against the manifest's directory. */
    public static Path checkpointDirectory(Path manifestFile, MixtureManifest.ExpertEntry expert) {
        return resolve(manifestFile, expert.path());
    }

    /** Resolves a path written in the manifest: relative to the manifest's directory, or absolute. */
    static Path resolve(Path manifestFile, String path) {
        return manifestFile.toAbsolutePath().getParent().resolve(path).normalize();
    }

    private static MixtureManifest parse(Path file, JsonNode root) {
        ManifestFields top = ManifestFields.mapping(file, root, "", TOP_LEVEL_KEYS);
        String name = top.text("name", true);
        List<JsonNode> items = top.list("experts", true);
        if (items.isEmpty()) {
            throw top.problem("experts", "must list at least one expert");
        }
        List<MixtureManifest.ExpertEntry> experts = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            MixtureManifest.ExpertEntry expert = expert(file, items.get(i), "experts[" + i + "]");
            if (!names.add(expert.name())) {
                throw new InvalidManifestException(
                        file,
                        "experts[" + i + "].name",
                        "'" + expert.name() + "' is already the name of another expert; names must be unique");
            }
            experts.add(expert);
        }
        MixtureManifest.RouterEntry router = top.has("router") ? router(file, top.get("router"), experts.size()) : null;
        return new MixtureManifest(name, experts, router);
    }

    private static MixtureManifest.ExpertEntry expert(Path file, JsonNode node, String path) {
        ManifestFields fields = ManifestFields.mapping(file, node, path, EXPERT_KEYS);
        String name = fields.text("name", true);
        if (fields.has("address")) {
            if (fields.has("path")) {
                throw fields.problem(
                        "address",
                        "give either path (a checkpoint served here) or address (an expert " + "server), not both");
            }
            return new MixtureManifest.ExpertEntry(
                    name,
                    null,
                    ExpertAddresses.check(fields, "address"),
                    fields.has("tls") ? tls(file, fields.get("tls"), path + ".tls") : null,
                    readableFile(file, fields, "token_file"));
        }
        for (String link : List.of("tls", "token_file")) {
            if (fields.has(link)) {
                throw fields.problem(link, "is only for an expert given by address (an expert server)");
            }
        }
        Precision precision = fields.has("precision") ? choice(fields, "precision", Precision.class) : null;
        Quantization quantization =
                fields.has("quantization") ? choice(fields, "quantization", Quantization.class) : null;
        if (!fields.has("path")) {
            throw fields.problem(
                    "path",
                    "is required: a checkpoint directory, or give address: host:port for an "
                            + "expert served by another process");
        }
        String directory = fields.text("path", true);
        Path resolved = resolve(file, directory);
        if (!Files.isDirectory(resolved)) {
            throw fields.problem(
                    "path",
                    Files.exists(resolved)
                            ? resolved + " is a file; expected a Hugging Face checkpoint directory"
                            : "checkpoint directory " + resolved + " does not exist");
        }
        return new MixtureManifest.ExpertEntry(name, directory, null, null, null, precision, quantization);
    }

    /** One of an enum's constants, written in lower case ({@code int8}, {@code bf16}). */
    private static <E extends Enum<E>> E choice(ManifestFields fields, String key, Class<E> type) {
        String value = fields.text(key, true);
        for (E constant : type.getEnumConstants()) {
            if (constant.name().equalsIgnoreCase(value)) {
                return constant;
            }
        }
        throw fields.problem(
                key,
                "must be one of "
                        + java.util.Arrays.stream(type.getEnumConstants())
                                .map(c -> c.name().toLowerCase(java.util.Locale.ROOT))
                                .toList()
                        + ", got '" + value + "'");
    }

    private static MixtureManifest.RouterEntry router(Path file, JsonNode node, int expertCount) {
        ManifestFields fields = ManifestFields.mapping(file, node, "router", ROUTER_KEYS);
        String mode = fields.text("mode", false);
        if (mode != null && !Routers.MODES.contains(mode.toLowerCase(Locale.ROOT))) {
            throw fields.problem(
                    "mode",
                    "unknown routing mode '" + mode + "'; known modes: " + String.join(", ", Routers.MODES)
                            + Suggestions.didYouMean(mode, Routers.MODES));
        }
        List<Double> weights = fields.weights("weights", expertCount, "weights");
        Double temperature = fields.positiveNumber("temperature");
        Integer topK = fields.integer("top_k", 1, expertCount, "from 1 to " + expertCount + " (the number of experts)");
        List<Double> priors = fields.weights("priors", expertCount, "priors");
        String centroids = existing(file, fields, "centroids", false);
        String classifier = existing(file, fields, "classifier", false);
        String featureExtractor = existing(file, fields, "feature_extractor", true);
        if (priors != null && centroids == null) {
            throw fields.problem("priors", "priors are the clusters' priors: give router.centroids too");
        }
        String fineToCoarse = existing(file, fields, "fine_to_coarse", false);
        if (fineToCoarse != null && centroids == null) {
            throw fields.problem(
                    "fine_to_coarse",
                    "maps fine centroids to experts: give the fine centroids as " + "router.centroids too");
        }
        String normalization = fields.text("feature_normalization", false);
        if (normalization != null && !List.of("l2", "none").contains(normalization)) {
            throw fields.problem("feature_normalization", "is '" + normalization + "'; expected l2 or none");
        }
        return new MixtureManifest.RouterEntry(
                mode == null ? "uniform" : mode,
                weights,
                temperature,
                topK,
                priors,
                centroids,
                classifier,
                featureExtractor,
                fineToCoarse,
                normalization);
    }

    /** An expert's own TLS settings, each file checked. */
    private static MixtureManifest.Tls tls(Path file, JsonNode node, String path) {
        ManifestFields fields = ManifestFields.mapping(file, node, path, TLS_KEYS);
        String certificate = readableFile(file, fields, "certificate");
        String privateKey = readableFile(file, fields, "private_key");
        if ((certificate == null) != (privateKey == null)) {
            throw fields.problem(
                    certificate == null ? "certificate" : "private_key",
                    "is missing: a client certificate needs its private key, and a key its certificate");
        }
        return new MixtureManifest.Tls(readableFile(file, fields, "ca"), certificate, privateKey);
    }

    /** A PEM or token file the gateway reads when it connects: it must be there and readable at start-up. */
    private static String readableFile(Path file, ManifestFields fields, String name) {
        String path = fields.text(name, false);
        if (path == null) {
            return null;
        }
        Path resolved = resolve(file, path);
        if (!Files.isRegularFile(resolved) || !Files.isReadable(resolved)) {
            throw fields.problem(name, resolved + " is not a readable file");
        }
        return path;
    }

    /** A file (or, for the feature extractor, a checkpoint directory) named in the router section. */
    private static String existing(Path file, ManifestFields fields, String name, boolean directory) {
        String path = fields.text(name, false);
        if (path == null) {
            return null;
        }
        Path resolved = resolve(file, path);
        if (directory && !Files.isDirectory(resolved)) {
            throw fields.problem(
                    name,
                    (Files.exists(resolved) ? resolved + " is a file" : resolved + " does not exist")
                            + "; expected a CLIP checkpoint directory");
        }
        if (!directory && !Files.isRegularFile(resolved)) {
            throw fields.problem(
                    name,
                    (Files.exists(resolved) ? resolved + " is a directory" : resolved + " does not exist")
                            + "; expected a .safetensors file");
        }
        return path;
    }

    private static String at(TokenStreamLocation location) {
        if (location == null || location.getLineNr() < 1) {
            return "";
        }
        return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }
}
