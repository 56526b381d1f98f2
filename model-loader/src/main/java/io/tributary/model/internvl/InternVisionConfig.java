package io.tributary.model.internvl;

import tools.jackson.databind.JsonNode;

/**
 * The InternViT vision encoder's shape, from {@code vision_config} in either layout: OpenGVLab's
 * {@code InternVisionConfig} ({@code qkv_bias}, {@code qk_normalization}) or transformers'
 * {@code InternVLVisionConfig} ({@code attention_bias}, {@code use_qk_norm}, sizes possibly as [h, w] lists).
 * A missing field takes InternViT-300M-448px's value (the encoder of InternVL 2.5 1B to 38B); note that OpenGVLab's
 * class defaults describe InternViT-6B instead, so a config written by it always spells the fields out.
 */
public record InternVisionConfig(
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int patchSize,
        int imageSize,
        NormType normType,
        double layerNormEps,
        boolean qkvBias,
        Activation hiddenAct) {

    /** {@code norm_type}: the encoder layers' two norms. */
    public enum NormType {
        LAYER_NORM,
        RMS_NORM
    }

    /** {@code hidden_act} of the encoder MLP. */
    public enum Activation {
        /** Exact (erf) GELU, InternViT's. */
        GELU,
        /** x * sigmoid(1.702 x), used by transformers' tiny test configs. */
        QUICK_GELU
    }

    public InternVisionConfig {
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " is not a multiple of "
                    + "num_attention_heads " + numAttentionHeads);
        }
        if (imageSize % patchSize != 0) {
            throw new IllegalArgumentException(
                    "image_size " + imageSize + " is not a multiple of patch_size " + patchSize);
        }
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** Patches along one side of a tile. */
    public int gridSize() {
        return imageSize / patchSize;
    }

    public InternVisionConfig withImageSize(int size) {
        return new InternVisionConfig(
                hiddenSize,
                intermediateSize,
                numHiddenLayers,
                numAttentionHeads,
                patchSize,
                size,
                normType,
                layerNormEps,
                qkvBias,
                hiddenAct);
    }

    static InternVisionConfig fromJson(JsonNode json) {
        boolean qkNorm =
                json.path("qk_normalization").asBoolean(json.path("use_qk_norm").asBoolean(false));
        if (qkNorm) {
            throw new IllegalArgumentException("qk_normalization (InternViT-6B) is not supported");
        }
        if (json.path("num_channels").asInt(3) != 3) {
            throw new IllegalArgumentException("num_channels must be 3, got " + json.path("num_channels"));
        }
        if (!json.path("use_mean_pooling").asBoolean(true)) {
            throw new IllegalArgumentException("use_mean_pooling = false (a final vision layernorm) is not supported");
        }
        if (json.has("use_absolute_position_embeddings")
                && !json.path("use_absolute_position_embeddings").asBoolean()) {
            throw new IllegalArgumentException("use_absolute_position_embeddings = false is not supported");
        }
        String norm = json.path("norm_type").asString("layer_norm");
        String act = json.path("hidden_act").asString("gelu");
        return new InternVisionConfig(
                json.path("hidden_size").asInt(1024),
                json.path("intermediate_size").asInt(4096),
                json.path("num_hidden_layers").asInt(24),
                json.path("num_attention_heads").asInt(16),
                square(json.path("patch_size"), 14, "patch_size"),
                square(json.path("image_size"), 448, "image_size"),
                switch (norm) {
                    case "layer_norm" -> NormType.LAYER_NORM;
                    case "rms_norm" -> NormType.RMS_NORM;
                    default -> throw new IllegalArgumentException("norm_type '" + norm + "' is not supported");
                },
                json.path("layer_norm_eps").asDouble(1e-6),
                json.path("qkv_bias").asBoolean(json.path("attention_bias").asBoolean(true)),
                switch (act) {
                    case "gelu" -> Activation.GELU;
                    case "quick_gelu" -> Activation.QUICK_GELU;
                    default -> throw new IllegalArgumentException("hidden_act '" + act + "' is not supported");
                });
    }

    /** An int, or a [height, width] list whose two sides must agree. */
    private static int square(JsonNode node, int fallback, String name) {
        if (node.isMissingNode() || node.isNull()) {
            return fallback;
        }
        if (node.isArray()) {
            if (node.size() != 2 || node.get(0).asInt() != node.get(1).asInt()) {
                throw new IllegalArgumentException(name + " " + node + " is not square");
            }
            return node.get(0).asInt();
        }
        return node.asInt();
    }
}
