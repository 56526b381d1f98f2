package io.tributary.model.clip;

import tools.jackson.databind.JsonNode;

/**
 * The fields of a Hugging Face {@code CLIPVisionConfig} the vision tower needs. A missing field takes transformers'
 * default, which matters: llava-hf's {@code vision_config} omits most fields (no {@code hidden_act},
 * {@code layer_norm_eps}, {@code num_channels}).
 *
 * @param projectionDim rows of {@code visual_projection.weight}, when the checkpoint has one
 */
public record ClipVisionConfig(
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numChannels,
        int imageSize,
        int patchSize,
        HiddenAct hiddenAct,
        double layerNormEps,
        int projectionDim) {

    public ClipVisionConfig {
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("vision hidden_size " + hiddenSize
                    + " is not a multiple of num_attention_heads " + numAttentionHeads);
        }
        if (imageSize % patchSize != 0) {
            throw new IllegalArgumentException(
                    "image_size " + imageSize + " is not a multiple of patch_size " + patchSize);
        }
    }

    /** Defaults are those of transformers' {@code CLIPVisionConfig.__init__} (ViT-B/32). */
    public static ClipVisionConfig fromJson(JsonNode json) {
        return new ClipVisionConfig(
                positive(json, "hidden_size", 768),
                positive(json, "intermediate_size", 3072),
                positive(json, "num_hidden_layers", 12),
                positive(json, "num_attention_heads", 12),
                positive(json, "num_channels", 3),
                positive(json, "image_size", 224),
                positive(json, "patch_size", 32),
                HiddenAct.fromConfig(json.path("hidden_act").asString("quick_gelu")),
                json.path("layer_norm_eps").asDouble(1e-5),
                positive(json, "projection_dim", 512));
    }

    /** A CLIPModel's {@code visual_projection} is sized by its top-level {@code projection_dim}. */
    public ClipVisionConfig withProjectionDim(int dim) {
        return new ClipVisionConfig(
                hiddenSize,
                intermediateSize,
                numHiddenLayers,
                numAttentionHeads,
                numChannels,
                imageSize,
                patchSize,
                hiddenAct,
                layerNormEps,
                dim);
    }

    /**
     * Every field that changes what the tower computes from its tensors (the head count and activation do, and no
     * tensor shape shows them); {@code projection_dim} is left out, being the projection's, not the tower's.
     */
    public String computeSignature() {
        return "clip_vision hidden=" + hiddenSize + " intermediate=" + intermediateSize + " layers=" + numHiddenLayers
                + " heads=" + numAttentionHeads + " channels=" + numChannels + " image=" + imageSize + " patch="
                + patchSize + " act=" + hiddenAct.configName() + " eps=" + layerNormEps;
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** Patches along one side of the (square) image. */
    public int patchesPerSide() {
        return imageSize / patchSize;
    }

    /** Positions the encoder sees: one per patch, plus the class token first. */
    public int numPositions() {
        return patchesPerSide() * patchesPerSide() + 1;
    }

    /** Values of one flattened patch, in the conv kernel's [channel][row][column] order. */
    public int patchValues() {
        return numChannels * patchSize * patchSize;
    }

    private static int positive(JsonNode json, String name, int fallback) {
        JsonNode node = json.path(name);
        if (node.isMissingNode() || node.isNull()) {
            return fallback;
        }
        if (!node.isIntegralNumber() || node.asInt() <= 0) {
            throw new IllegalArgumentException("vision_config." + name + " must be a positive integer, got " + node);
        }
        return node.asInt();
    }
}
