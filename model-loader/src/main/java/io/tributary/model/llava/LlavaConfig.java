package io.tributary.model.llava;

import io.tributary.model.ModelLoadException;
import io.tributary.model.checkpoint.AwqConfig;
import io.tributary.model.clip.ClipVisionConfig;
import io.tributary.model.clip.HiddenAct;
import io.tributary.model.llama.LlamaConfig;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Hugging Face {@code LlavaConfig}: a Llama {@code text_config}, a CLIP {@code vision_config} and how they meet.
 * Missing fields take transformers' defaults, including its LLaVA-1.5 vision tower when {@code vision_config} is
 * absent.
 *
 * @param imageTokenIndex     the placeholder token id ({@code image_token_index}, 32000 in llava-1.5-hf)
 * @param visionFeatureLayers indices into the tower's hidden states, as written (negative counts from the end;
 *                            transformers accepts an int or a list, whose features are concatenated)
 * @param keepClassToken      {@code vision_feature_select_strategy}: "full" keeps the class token, "default" drops it
 * @param projectorBias       {@code multimodal_projector_bias}
 */
public record LlavaConfig(
        LlamaConfig text,
        ClipVisionConfig vision,
        int imageTokenIndex,
        HiddenAct projectorHiddenAct,
        List<Integer> visionFeatureLayers,
        boolean keepClassToken,
        boolean projectorBias) {

    public LlavaConfig {
        visionFeatureLayers = List.copyOf(visionFeatureLayers);
        if (visionFeatureLayers.isEmpty()) {
            throw new IllegalArgumentException("vision_feature_layer names no layer");
        }
        int states = vision.numHiddenLayers() + 1;
        for (int layer : visionFeatureLayers) {
            if (layer < -states || layer >= states) {
                throw new IllegalArgumentException("vision_feature_layer " + layer + " is outside the " + states
                        + " hidden states of a " + vision.numHiddenLayers() + "-layer vision tower");
            }
        }
    }

    public static LlavaConfig read(Path configJson) {
        try {
            return fromJson(new ObjectMapper().readTree(configJson));
        } catch (JacksonException e) {
            throw new ModelLoadException(configJson + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(configJson + ": " + e.getMessage(), e);
        }
    }

    /** Defaults are those of transformers' {@code LlavaConfig.__init__}. */
    public static LlavaConfig fromJson(JsonNode json) {
        JsonNode text = json.path("text_config");
        String textType = text.path("model_type").asString("llama");
        if (!textType.equals("llama")) {
            throw new IllegalArgumentException("text_config.model_type '" + textType + "' is not supported (llama)");
        }
        JsonNode vision = json.path("vision_config");
        String visionType = vision.path("model_type").asString("clip_vision_model");
        if (!visionType.equals("clip_vision_model")) {
            throw new IllegalArgumentException(
                    "vision_config.model_type '" + visionType + "' is not supported (clip_vision_model)");
        }
        String strategy = json.path("vision_feature_select_strategy").asString("default");
        if (!strategy.equals("default") && !strategy.equals("full")) {
            throw new IllegalArgumentException(
                    "vision_feature_select_strategy '" + strategy + "' is not supported (default, full)");
        }
        return new LlavaConfig(
                LlamaConfig.fromLlamaJson(text.isObject() ? text : JsonNodeFactory.instance.objectNode())
                        .withAwq(AwqConfig.of(json, text)),
                ClipVisionConfig.fromJson(vision.isObject() ? vision : llava15Tower()),
                json.path("image_token_index").asInt(32000),
                HiddenAct.fromConfig(json.path("projector_hidden_act").asString("gelu")),
                featureLayers(json.path("vision_feature_layer")),
                strategy.equals("full"),
                json.path("multimodal_projector_bias").asBoolean(true));
    }

    /** The tower transformers builds when {@code vision_config} is absent: CLIP ViT-L/14 at 336 px. */
    private static ObjectNode llava15Tower() {
        ObjectNode tower = JsonNodeFactory.instance.objectNode();
        tower.put("intermediate_size", 4096);
        tower.put("hidden_size", 1024);
        tower.put("patch_size", 14);
        tower.put("image_size", 336);
        tower.put("num_hidden_layers", 24);
        tower.put("num_attention_heads", 16);
        tower.put("projection_dim", 768);
        return tower;
    }

    private static List<Integer> featureLayers(JsonNode node) {
        List<Integer> layers = new ArrayList<>();
        if (node.isMissingNode() || node.isNull()) {
            layers.add(-2);
        } else if (node.isIntegralNumber()) {
            layers.add(node.asInt());
        } else if (node.isArray()) {
            node.forEach(layer -> layers.add(layer.asInt()));
        } else {
            throw new IllegalArgumentException("vision_feature_layer must be an int or a list, got " + node);
        }
        return layers;
    }

    /** The feature layers as indices into hidden_states (0 = embeddings, i = after encoder layer i - 1). */
    public int[] resolvedFeatureLayers() {
        int states = vision.numHiddenLayers() + 1;
        return visionFeatureLayers.stream()
                .mapToInt(layer -> layer < 0 ? states + layer : layer)
                .toArray();
    }

    /** Positions one image takes in the decoder: one per patch, plus the class token under "full". */
    public int tokensPerImage() {
        int patches = vision.patchesPerSide() * vision.patchesPerSide();
        return keepClassToken ? patches + 1 : patches;
    }

    /** Width of the features the projector reads: the tower's width times the number of feature layers. */
    public int featureWidth() {
        return vision.hiddenSize() * visionFeatureLayers.size();
    }
}
