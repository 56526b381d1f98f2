package io.tributary.model.internvl;

import io.tributary.model.ModelLoadException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The token ids InternVL wraps image features in: {@code <img>}, then one {@code <IMG_CONTEXT>} per image token, then
 * {@code </img>} (OpenGVLab's {@code IMG_START_TOKEN}, {@code IMG_CONTEXT_TOKEN}, {@code IMG_END_TOKEN}).
 *
 * <p>Where the ids come from, decided: the checkpoint's tokenizer is the authority, since it is what turns a
 * prompt's {@code <IMG_CONTEXT>} into an id (OpenGVLab's {@code chat()} itself asks the tokenizer,
 * {@code convert_tokens_to_ids(IMG_CONTEXT_TOKEN)}; transformers' processor too). The added tokens are read from
 * {@code tokenizer.json}, else {@code tokenizer_config.json}'s {@code added_tokens_decoder}, else
 * {@code added_tokens.json}. An id the config states ({@code img_context_token_id}, transformers'
 * {@code image_token_id}) must agree with the tokenizer, or loading fails: transformers' default 151667 is not
 * every checkpoint's id, and a silent mismatch would splice images nowhere.
 */
public record InternVlSpecialTokens(int imageStart, int imageContext, int imageEnd) {

    public static final String IMG_START = "<img>";
    public static final String IMG_END = "</img>";
    public static final String IMG_CONTEXT = "<IMG_CONTEXT>";

    /** @param config the checkpoint's {@code config.json} */
    public static InternVlSpecialTokens read(Path directory, JsonNode config) {
        Map<String, Integer> added = addedTokens(directory);
        InternVlSpecialTokens tokens = new InternVlSpecialTokens(
                id(added, IMG_START, directory), id(added, IMG_CONTEXT, directory), id(added, IMG_END, directory));
        for (String field : new String[] {"img_context_token_id", "image_token_id"}) {
            JsonNode stated = config.path(field);
            if (stated.isIntegralNumber() && stated.asInt() != tokens.imageContext()) {
                throw new ModelLoadException(directory.resolve("config.json") + ": " + field + " is " + stated.asInt()
                        + " but the tokenizer gives " + IMG_CONTEXT + " id " + tokens.imageContext());
            }
        }
        return tokens;
    }

    private static int id(Map<String, Integer> added, String token, Path directory) {
        Integer id = added.get(token);
        if (id == null) {
            throw new ModelLoadException(directory + ": the tokenizer has no added token " + token
                    + " (an InternVL tokenizer adds <img>, </img> and <IMG_CONTEXT>)");
        }
        return id;
    }

    /** Added tokens' content to id, from the first tokenizer file that lists any. */
    static Map<String, Integer> addedTokens(Path directory) {
        Map<String, Integer> ids = new HashMap<>();
        Path tokenizer = directory.resolve("tokenizer.json");
        if (Files.isRegularFile(tokenizer)) {
            readJson(tokenizer)
                    .path("added_tokens")
                    .forEach(t ->
                            ids.put(t.path("content").asString(), t.path("id").asInt()));
        }
        Path tokenizerConfig = directory.resolve("tokenizer_config.json");
        if (ids.isEmpty() && Files.isRegularFile(tokenizerConfig)) {
            for (var entry :
                    readJson(tokenizerConfig).path("added_tokens_decoder").properties()) {
                ids.put(entry.getValue().path("content").asString(), Integer.parseInt(entry.getKey()));
            }
        }
        Path addedTokens = directory.resolve("added_tokens.json");
        if (ids.isEmpty() && Files.isRegularFile(addedTokens)) {
            for (var entry : readJson(addedTokens).properties()) {
                ids.put(entry.getKey(), entry.getValue().asInt());
            }
        }
        return ids;
    }

    private static JsonNode readJson(Path file) {
        try {
            return new ObjectMapper().readTree(file);
        } catch (JacksonException e) {
            throw new ModelLoadException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }
}
