package io.tributary.tools.router;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Training data in the two formats the paper's code reads: LLaVA's JSON (one array of samples) and InternVL's JSONL
 * (one sample a line). A sample's {@code image} is a path, a list of paths, or absent (a text-only sample).
 */
final class Datasets {

    private static final ObjectMapper JSON =
            JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private Datasets() {}

    /**
     * @param line the sample's line as written (JSONL), kept so that a partition copies it byte for byte
     * @param node the parsed sample
     */
    record Sample(String line, JsonNode node, List<String> images) {}

    static boolean isJsonLines(Path file) {
        return file.getFileName().toString().endsWith(".jsonl");
    }

    static List<Sample> read(Path file) {
        List<Sample> samples = new ArrayList<>();
        try {
            if (isJsonLines(file)) {
                List<String> lines = Files.readAllLines(file);
                for (int i = 0; i < lines.size(); i++) {
                    if (!lines.get(i).isBlank()) {
                        samples.add(sample(lines.get(i), parse(lines.get(i), file + " line " + (i + 1))));
                    }
                }
            } else {
                JsonNode root = parse(Files.readString(file), file.toString());
                if (!root.isArray()) {
                    throw new IllegalArgumentException(file + ": a LLaVA dataset is a JSON array of samples");
                }
                root.forEach(node -> samples.add(sample(null, node)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return samples;
    }

    /** Writes samples in the format of {@code like}: JSONL lines as read, or one JSON array. */
    static void write(Path file, List<Sample> samples, boolean jsonLines) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        if (jsonLines) {
            StringBuilder text = new StringBuilder();
            samples.forEach(sample -> text.append(sample.line()).append('\n'));
            Files.writeString(file, text);
        } else {
            Files.writeString(
                    file,
                    JSON.writeValueAsString(samples.stream().map(Sample::node).toList()));
        }
    }

    private static Sample sample(String line, JsonNode node) {
        List<String> images = new ArrayList<>();
        JsonNode image = node.path("image");
        if (image.isString() && !image.asString().isBlank()) {
            images.add(image.asString());
        } else if (image.isArray()) {
            image.forEach(path -> images.add(path.asString()));
        }
        return new Sample(line, node, images);
    }

    private static JsonNode parse(String text, String where) {
        try {
            return JSON.readTree(text);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(where + ": not valid JSON: " + e.getMessage(), e);
        }
    }
}
