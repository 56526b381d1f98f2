package io.tributary.model;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a checkpoint directory says about itself before any weight is read: its architecture (to pick the family)
 * and the token ids that end a generation.
 *
 * @param architectures {@code config.json}'s {@code architectures}, e.g. {@code [LlamaForCausalLM]}; may be empty
 * @param modelType     {@code config.json}'s {@code model_type}, e.g. {@code llama}; may be empty
 * @param eosTokenIds   from {@code generation_config.json} if it names any (as transformers' generate uses it),
 *                      else from {@code config.json} (top level, then {@code text_config} of multimodal models)
 */
public record CheckpointInfo(Path directory, List<String> architectures, String modelType, Set<Integer> eosTokenIds) {

    public static final String CONFIG_FILE = "config.json";
    public static final String GENERATION_CONFIG_FILE = "generation_config.json";

    public CheckpointInfo {
        architectures = List.copyOf(architectures);
        eosTokenIds = Set.copyOf(eosTokenIds);
    }

    public static CheckpointInfo read(Path directory) {
        Path configFile = directory.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(configFile)) {
            throw new ModelLoadException(
                    directory + ": no " + CONFIG_FILE + " (not a Hugging Face checkpoint directory)");
        }
        JsonNode config = readJson(configFile);
        List<String> architectures = new ArrayList<>();
        config.path("architectures").forEach(a -> architectures.add(a.asString()));
        Set<Integer> eos = new LinkedHashSet<>();
        Path generationFile = directory.resolve(GENERATION_CONFIG_FILE);
        if (Files.isRegularFile(generationFile)) {
            addIds(readJson(generationFile).path("eos_token_id"), eos);
        }
        if (eos.isEmpty()) {
            addIds(config.path("eos_token_id"), eos);
        }
        if (eos.isEmpty()) {
            addIds(config.path("text_config").path("eos_token_id"), eos);
        }
        return new CheckpointInfo(
                directory, architectures, config.path("model_type").asString(""), eos);
    }

    private static void addIds(JsonNode node, Set<Integer> ids) {
        if (node.isIntegralNumber()) {
            ids.add(node.asInt());
        } else if (node.isArray()) {
            node.forEach(id -> ids.add(id.asInt()));
        }
    }

    private static JsonNode readJson(Path file) {
        try {
            return new ObjectMapper().readTree(file);
        } catch (JacksonException e) {
            throw new ModelLoadException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }
}
