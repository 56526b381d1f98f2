package io.tributary.model.internvl;

/**
 * The two spellings of InternVL's vision and projector tensors. Each method names one tensor; the shapes are the
 * same in both layouts except that transformers splits the fused {@code attn.qkv} into q, k and v projections.
 */
public enum InternVlLayout {

    /** OpenGVLab's {@code InternVLChatModel}: {@code vision_model.*}, {@code mlp1.{0,1,3}.*}. */
    ORIGINAL("vision_model.", "mlp1."),
    /**
     * transformers' {@code InternVLForConditionalGeneration} (4.52+, {@code model.} prefix), as written by its
     * {@code convert_internvl_weights_to_hf.py}.
     */
    TRANSFORMERS("model.vision_tower.", "model.multi_modal_projector."),
    /** The same before transformers 4.52 moved everything under {@code model.}. */
    TRANSFORMERS_LEGACY("vision_tower.", "multi_modal_projector.");

    private final String vision;
    private final String projector;

    InternVlLayout(String vision, String projector) {
        this.vision = vision;
        this.projector = projector;
    }

    /** Every vision or projector tensor starts with one of these: anything else belongs to the language model. */
    public boolean owns(String name) {
        return name.startsWith(vision) || name.startsWith(projector);
    }

    public boolean fusedQkv() {
        return this == ORIGINAL;
    }

    public String classEmbedding() {
        return vision + (this == ORIGINAL ? "embeddings.class_embedding" : "embeddings.cls_token");
    }

    public String patchEmbedding(String part) {
        return vision
                + (this == ORIGINAL ? "embeddings.patch_embedding." : "embeddings.patch_embeddings.projection.")
                + part;
    }

    public String positionEmbedding() {
        return vision + (this == ORIGINAL ? "embeddings.position_embedding" : "embeddings.position_embeddings");
    }

    /**
     * A tensor of encoder layer {@code i}, named by its original suffix ({@code norm1.weight}, {@code attn.proj.bias},
     * {@code ls1}, {@code mlp.fc1.weight}, ... and, for transformers, {@code attn.q.weight} etc.).
     */
    public String layer(int i, String original) {
        if (this == ORIGINAL) {
            return vision + "encoder.layers." + i + "." + original;
        }
        String renamed = original.replace("norm1.", "layernorm_before.")
                .replace("norm2.", "layernorm_after.")
                .replace("attn.proj.", "attention.projection_layer.")
                .replace("attn.q.", "attention.q_proj.")
                .replace("attn.k.", "attention.k_proj.")
                .replace("attn.v.", "attention.v_proj.")
                .replace("ls1", "lambda_1")
                .replace("ls2", "lambda_2");
        return vision + "encoder.layer." + i + "." + renamed;
    }

    /** Projector part: 0 the LayerNorm, 1 the first Linear, 3 the second ({@code nn.Sequential} indices). */
    public String projector(int index, String part) {
        if (this == ORIGINAL) {
            return projector + index + "." + part;
        }
        String module = switch (index) {
            case 0 -> "layer_norm.";
            case 1 -> "linear_1.";
            case 3 -> "linear_2.";
            default -> throw new IllegalArgumentException("no projector module " + index);
        };
        return projector + module + part;
    }
}
