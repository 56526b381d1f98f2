package io.tributary.server.playground;

import io.tributary.model.image.ImageFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Example questions a mixture ships for people to try: {@code examples/examples.json} beside its manifest, a list of
 * {@code {"image", "question", "answer"}} (the image a file in that folder, the answer optional), which the
 * playground offers as one-click requests. The embedded default ships four. A mixture without the file, or with one
 * that cannot be read, offers none: examples are a convenience and never stop a server from starting.
 */
public final class PlaygroundExamples {

    private static final Logger LOG = LoggerFactory.getLogger(PlaygroundExamples.class);

    /**
     * One example as the playground receives it.
     *
     * @param image    the picture as a data URI
     * @param answer   the answer the mixture's makers expect, or null
     */
    public record Example(String image, String question, String answer) {}

    private final List<Example> all;

    public PlaygroundExamples(List<Example> all) {
        this.all = List.copyOf(all);
    }

    public List<Example> all() {
        return all;
    }

    /** The examples beside {@code manifest}; none when there are none or they cannot be read (logged). */
    public static PlaygroundExamples beside(Path manifest) {
        Path folder = manifest.toAbsolutePath().getParent().resolve("examples");
        Path index = folder.resolve("examples.json");
        if (!Files.isRegularFile(index)) {
            return new PlaygroundExamples(List.of());
        }
        try {
            List<Example> examples = new ArrayList<>();
            for (JsonNode entry : JsonMapper.builder().build().readTree(index.toFile())) {
                examples.add(read(entry, folder));
            }
            return new PlaygroundExamples(examples);
        } catch (IOException | JacksonException | IllegalArgumentException e) {
            LOG.warn("the playground offers no examples: cannot read {} ({})", index, e.getMessage());
            return new PlaygroundExamples(List.of());
        }
    }

    private static Example read(JsonNode entry, Path folder) throws IOException {
        String image = text(entry, "image");
        String question = text(entry, "question");
        if (image == null || question == null) {
            throw new IllegalArgumentException("each example needs an \"image\" and a \"question\"");
        }
        Path file = folder.resolve(image).normalize();
        Optional<String> mediaType = ImageFiles.mediaType(file);
        if (!file.startsWith(folder) || mediaType.isEmpty()) {
            throw new IllegalArgumentException("\"" + image + "\" is not a PNG, JPEG, GIF or BMP file in " + folder);
        }
        String uri =
                "data:" + mediaType.get() + ";base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(file));
        return new Example(uri, question, text(entry, "answer"));
    }

    private static String text(JsonNode entry, String field) {
        JsonNode value = entry.get(field);
        return value != null && value.isString() ? value.asString() : null;
    }
}
