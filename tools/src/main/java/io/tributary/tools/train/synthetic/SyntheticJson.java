package io.tributary.tools.train.synthetic;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** LLaVA's JSON layout: one array; a sample is one human turn ({@code <image>} and a question) and one answer. */
final class SyntheticJson {

    static final String IMAGE_PLACEHOLDER = "<image>\n";

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private SyntheticJson() {}

    /** One sample a line: valid JSON that diffs and greps well, with the same bytes on every machine. */
    static void write(Path file, List<SyntheticSample> samples) throws IOException {
        StringBuilder text = new StringBuilder("[\n");
        for (int i = 0; i < samples.size(); i++) {
            text.append(JSON.writeValueAsString(node(samples.get(i)))).append(i + 1 < samples.size() ? ",\n" : "\n");
        }
        Files.writeString(file, text.append("]\n"));
    }

    static List<SyntheticSample> read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (!root.isArray()) {
            throw new IllegalArgumentException(file + ": a LLaVA dataset is a JSON array of samples");
        }
        List<SyntheticSample> samples = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            samples.add(sample(root.get(i), file + " sample " + i));
        }
        return samples;
    }

    private static ObjectNode node(SyntheticSample sample) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", sample.id());
        node.put("image", sample.imagePath());
        node.put("domain", sample.domain());
        node.putArray("conversations")
                .add(JSON.createObjectNode().put("from", "human").put("value", IMAGE_PLACEHOLDER + sample.question()))
                .add(JSON.createObjectNode().put("from", "gpt").put("value", sample.answer()));
        return node;
    }

    private static SyntheticSample sample(JsonNode node, String where) {
        JsonNode conversations = node.path("conversations");
        if (conversations.size() != 2
                || !"human".equals(text(conversations.get(0), "from", where))
                || !"gpt".equals(text(conversations.get(1), "from", where))) {
            throw new IllegalArgumentException(where + ": expected one human turn and one gpt turn");
        }
        String prompt = text(conversations.get(0), "value", where);
        if (!prompt.startsWith(IMAGE_PLACEHOLDER)) {
            throw new IllegalArgumentException(where + ": the human turn does not start with <image>");
        }
        return new SyntheticSample(
                text(node, "id", where),
                text(node, "domain", where),
                text(node, "image", where),
                prompt.substring(IMAGE_PLACEHOLDER.length()),
                text(conversations.get(1), "value", where));
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode value = node.path(field);
        if (!value.isString()) {
            throw new IllegalArgumentException(where + ": '" + field + "' is missing or not a string");
        }
        return value.asString();
    }
}
