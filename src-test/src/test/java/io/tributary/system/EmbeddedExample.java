package io.tributary.system;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * One of the example questions the packaged jar ships beside its embedded default mixture (held-out test questions
 * of the synthetic task, the README's examples), read from the jar itself.
 *
 * @param image    the picture as a base64 data URI
 * @param question the question, without the image placeholder
 * @param answer   the reference answer
 */
public record EmbeddedExample(String image, String question, String answer) {

    private static final String FOLDER = "BOOT-INF/classes/embedded-default/examples/";

    public static List<EmbeddedExample> all() throws IOException {
        try (ZipFile jar =
                new ZipFile(Path.of(System.getProperty("tributary.server.jar")).toFile())) {
            List<EmbeddedExample> examples = new ArrayList<>();
            for (JsonNode example : JsonMapper.builder().build().readTree(read(jar, "examples.json"))) {
                examples.add(new EmbeddedExample(
                        "data:image/png;base64,"
                                + Base64.getEncoder()
                                        .encodeToString(
                                                read(jar, example.get("image").asString())),
                        example.get("question").asString(),
                        example.get("answer").asString()));
            }
            return examples;
        }
    }

    /** A TGI {@code /generate} body: the prompt in the experts' conversation format, the image in Markdown. */
    public String generateRequest(int maxNewTokens) {
        ObjectNode request = JsonNodeFactory.instance
                .objectNode()
                .put("inputs", "USER: ![](" + image + ")\n" + question + " ASSISTANT:");
        request.putObject("parameters").put("max_new_tokens", maxNewTokens).put("details", true);
        return request.toString();
    }

    private static byte[] read(ZipFile jar, String name) throws IOException {
        ZipEntry entry = jar.getEntry(FOLDER + name);
        if (entry == null) {
            throw new IllegalStateException("the server jar lacks " + FOLDER + name);
        }
        try (InputStream in = jar.getInputStream(entry)) {
            return in.readAllBytes();
        }
    }
}
