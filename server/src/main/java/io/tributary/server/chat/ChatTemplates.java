package io.tributary.server.chat;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds a checkpoint's chat template where transformers saves it: {@code chat_template.jinja}, else
 * {@code tokenizer_config.json}'s {@code chat_template} (a string, or named templates of which {@code default} is
 * taken), else a processor's {@code chat_template.json} (llava-hf).
 */
public final class ChatTemplates {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SPECIAL_TOKEN_NAMES = List.of("bos_token", "eos_token", "unk_token", "pad_token");

    private ChatTemplates() {}

    /** The checkpoint's template, or empty when it has none. */
    public static Optional<ChatTemplate> fromCheckpoint(Path directory) {
        JsonNode tokenizerConfig = readJson(directory.resolve("tokenizer_config.json"));
        Map<String, String> specialTokens = specialTokens(tokenizerConfig);
        Path jinjaFile = directory.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinjaFile)) {
            return Optional.of(new ChatTemplate(readString(jinjaFile), specialTokens));
        }
        Optional<String> source = templateIn(tokenizerConfig.path("chat_template"))
                .or(() -> templateIn(
                        readJson(directory.resolve("chat_template.json")).path("chat_template")));
        return source.map(template -> new ChatTemplate(template, specialTokens));
    }

    /** A template file given by the operator, with the checkpoint's special tokens. */
    public static ChatTemplate fromFile(Path templateFile, Path checkpoint) {
        return new ChatTemplate(
                readString(templateFile), specialTokens(readJson(checkpoint.resolve("tokenizer_config.json"))));
    }

    private static Optional<String> templateIn(JsonNode node) {
        if (node.isString()) {
            return Optional.of(node.asString());
        }
        for (JsonNode named : node) { // [{"name": "default", "template": "..."}, {"name": "tool_use", ...}]
            if ("default".equals(named.path("name").asString(null))
                    && named.path("template").isString()) {
                return Optional.of(named.path("template").asString());
            }
        }
        return Optional.empty();
    }

    /** {@code bos_token} and friends, given in tokenizer_config.json as a string or as {@code {"content": ...}}. */
    private static Map<String, String> specialTokens(JsonNode tokenizerConfig) {
        Map<String, String> tokens = new HashMap<>();
        for (String name : SPECIAL_TOKEN_NAMES) {
            JsonNode token = tokenizerConfig.path(name);
            String text =
                    token.isString() ? token.asString() : token.path("content").asString(null);
            if (text != null) {
                tokens.put(name, text);
            }
        }
        return tokens;
    }

    private static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) {
            return JSON.missingNode();
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (JacksonException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static String readString(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the chat template " + file, e);
        }
    }
}
