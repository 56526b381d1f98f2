package io.tributary.system;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * One of the example questions the packaged jar ships beside its embedded default mixture (held-out test questions
 * of the synthetic task, the README's examples), read from the jar itself: from the server's library inside it.
 *
 * @param image    the picture as a base64 data URI
 * @param question the question, without the image placeholder
 * @param answer   the reference answer
 */
public record EmbeddedExample(String image, String question, String answer) {

    private static final String SERVER_LIBRARY = "BOOT-INF/lib/tributary-server-";
    private static final String FOLDER = "embedded-default/examples/";

    public static List<EmbeddedExample> all() throws IOException {
        Map<String, byte[]> files = exampleFiles(Path.of(System.getProperty("tributary.server.jar")));
        List<EmbeddedExample> examples = new ArrayList<>();
        for (JsonNode example : JsonMapper.builder().build().readTree(file(files, "examples.json"))) {
            examples.add(new EmbeddedExample(
                    "data:image/png;base64,"
                            + Base64.getEncoder()
                                    .encodeToString(
                                            file(files, example.get("image").asString())),
                    example.get("question").asString(),
                    example.get("answer").asString()));
        }
        return examples;
    }

    /** A TGI {@code /generate} body: the prompt in the experts' conversation format, the image in Markdown. */
    public String generateRequest(int maxNewTokens) {
        ObjectNode request = JsonNodeFactory.instance
                .objectNode()
                .put("inputs", "USER: ![](" + image + ")\n" + question + " ASSISTANT:");
        request.putObject("parameters").put("max_new_tokens", maxNewTokens).put("details", true);
        return request.toString();
    }

    /** The files under {@link #FOLDER} in the server library the runnable jar nests. */
    private static Map<String, byte[]> exampleFiles(Path runnableJar) throws IOException {
        try (ZipFile jar = new ZipFile(runnableJar.toFile())) {
            ZipEntry library = jar.stream()
                    .filter(entry -> entry.getName().startsWith(SERVER_LIBRARY))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException(runnableJar + " nests no " + SERVER_LIBRARY + "*"));
            Map<String, byte[]> files = new HashMap<>();
            try (ZipInputStream nested = new ZipInputStream(jar.getInputStream(library))) {
                for (ZipEntry entry = nested.getNextEntry(); entry != null; entry = nested.getNextEntry()) {
                    if (entry.getName().startsWith(FOLDER)) {
                        files.put(entry.getName().substring(FOLDER.length()), nested.readAllBytes());
                    }
                }
            }
            return files;
        }
    }

    private static byte[] file(Map<String, byte[]> files, String name) {
        byte[] bytes = files.get(name);
        if (bytes == null) {
            throw new IllegalStateException("the server library lacks " + FOLDER + name);
        }
        return bytes;
    }
}
