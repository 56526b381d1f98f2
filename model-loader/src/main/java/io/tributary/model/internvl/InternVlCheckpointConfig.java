package io.tributary.model.internvl;

import io.tributary.model.ModelLoadException;
import io.tributary.model.checkpoint.AwqConfig;
import io.tributary.model.llama.LlamaConfig;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.Set;

/**
 * Everything an InternVL checkpoint directory says before its weights are read: the vision side
 * ({@link InternVlConfig}), the decoder's config ({@code llm_config} in OpenGVLab's layout, {@code text_config} in
 * transformers'), and the image token ids ({@link InternVlSpecialTokens}).
 */
public record InternVlCheckpointConfig(InternVlConfig vision, LlamaConfig text, InternVlSpecialTokens tokens) {

    /** Decoders this project runs: InternVL 2.5 1B, 4B, 38B and 78B use Qwen2.5; InternLM2 and Phi-3 are not read. */
    static final Set<String> DECODERS = Set.of("Qwen2ForCausalLM", "LlamaForCausalLM", "qwen2", "llama");

    public static InternVlCheckpointConfig read(Path directory) {
        Path configJson = directory.resolve("config.json");
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(configJson);
        } catch (JacksonException e) {
            throw new ModelLoadException(configJson + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        InternVlConfig vision = InternVlConfig.read(directory);
        String field = json.has("llm_config") ? "llm_config" : "text_config";
        JsonNode llm = json.path(field);
        String architecture = llm.path("architectures")
                .path(0)
                .asString(llm.path("model_type").asString("qwen2"));
        if (!DECODERS.contains(architecture)) {
            throw new ModelLoadException(configJson + ": " + field + " names decoder '" + architecture
                    + "'; supported: Qwen2ForCausalLM, LlamaForCausalLM");
        }
        LlamaConfig text;
        try {
            boolean llama = architecture.startsWith("Llama") || architecture.equals("llama");
            text = LlamaConfig.fromJson(
                            llm.has("model_type") || !llm.isObject()
                                    ? llm
                                    : ((ObjectNode) llm.deepCopy()).put("model_type", llama ? "llama" : "qwen2"))
                    .withAwq(AwqConfig.of(json, llm));
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(configJson + ": " + field + ": " + e.getMessage(), e);
        }
        if (text.hiddenSize() != vision.llmHiddenSize()) {
            throw new ModelLoadException(configJson + ": " + field + ".hidden_size " + text.hiddenSize()
                    + " differs from the projector's output " + vision.llmHiddenSize());
        }
        return new InternVlCheckpointConfig(vision, text, InternVlSpecialTokens.read(directory, json));
    }

    /** Image tokens per 448-px tile (256 for InternVL 2.5). */
    public int tokensPerTile() {
        return vision.tokensPerTile();
    }
}
