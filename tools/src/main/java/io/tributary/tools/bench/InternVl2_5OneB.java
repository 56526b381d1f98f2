package io.tributary.tools.bench;

import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The shapes of OpenGVLab's InternVL2.5-1B ({@code OpenGVLab/InternVL2_5-1B}, {@code InternVLChatModel}), for a
 * benchmark checkpoint of the real size. Sources, as read on the Hub and in public copies of its config:
 * <ul>
 *   <li>the model card: InternVL2_5-1B = InternViT-300M-448px-V2_5 + MLP projector + Qwen2.5-0.5B-Instruct;</li>
 *   <li>{@code vision_config} (InternViT-300M-448px): hidden 1024, intermediate 4096, 24 layers, 16 heads,
 *       patch 14, image 448, {@code qkv_bias} true, {@code norm_type} layer_norm (eps 1e-6), {@code ls1}/{@code ls2}
 *       layer scales, GELU, no qk normalisation;</li>
 *   <li>top level: {@code downsample_ratio} 0.5 ({@code ps_version} v2, 256 tokens a tile), {@code select_layer}
 *       -1, {@code template} internvl2_5, 1 to 12 dynamic tiles plus a thumbnail; {@code mlp1} = LayerNorm(4096),
 *       Linear(4096, 896), GELU, Linear(896, 896);</li>
 *   <li>{@code llm_config} (Qwen2.5-0.5B-Instruct as InternVL ships it): hidden 896, intermediate 4864, 24 layers,
 *       14 heads, 2 key/value heads (head_dim 64), q/k/v biases, rms_norm_eps 1e-6, rope_theta 1e6,
 *       max_position_embeddings 32768, {@code vocab_size} 151674 (InternVL adds its image and box tokens to
 *       Qwen2.5's 151665) and {@code tie_word_embeddings} false: unlike the standalone Qwen2.5-0.5B (tied, 151936
 *       rows), InternVL stores its own {@code language_model.lm_head.weight} [151674, 896].</li>
 * </ul>
 * The Hub checkpoint is bfloat16; this one is written in float32, the precision the benchmark measures. Some
 * InternVL 1B configs carry {@code rope_scaling} "dynamic" (factor 2), which only changes positions beyond 32k:
 * the benchmark's config leaves it out.
 */
final class InternVl2_5OneB {

    static final int VISION_HIDDEN = 1024;
    static final int VISION_INTERMEDIATE = 4096;
    static final int VISION_LAYERS = 24;
    static final int VISION_HEADS = 16;
    static final int PATCH = 14;
    static final int IMAGE = 448;
    /** Pixel shuffle with downsample 0.5 folds 2 x 2 patches: the projector reads 4 * 1024 channels. */
    static final int SHUFFLED = 4 * VISION_HIDDEN;

    static final int HIDDEN = 896;
    static final int INTERMEDIATE = 4864;
    static final int LAYERS = 24;
    static final int HEADS = 14;
    static final int KV_HEADS = 2;
    static final int HEAD_DIM = HIDDEN / HEADS;
    static final int VOCAB = 151674;
    static final int MAX_POSITIONS = 32768;
    static final int BOS = 151643;
    static final int EOS = 151645;

    private static final ObjectMapper JSON = new ObjectMapper();

    private InternVl2_5OneB() {}

    /** {@code config.json} in OpenGVLab's layout, with the fields the real one sets. */
    static ObjectNode config() {
        ObjectNode vision = JSON.createObjectNode();
        vision.putArray("architectures").add("InternVisionModel");
        vision.put("model_type", "intern_vit_6b")
                .put("hidden_size", VISION_HIDDEN)
                .put("intermediate_size", VISION_INTERMEDIATE)
                .put("num_hidden_layers", VISION_LAYERS)
                .put("num_attention_heads", VISION_HEADS)
                .put("num_channels", 3)
                .put("image_size", IMAGE)
                .put("patch_size", PATCH)
                .put("qkv_bias", true)
                .put("qk_normalization", false)
                .put("norm_type", "layer_norm")
                .put("layer_norm_eps", 1e-6)
                .put("hidden_act", "gelu")
                .put("initializer_factor", 0.1)
                .put("drop_path_rate", 0.0)
                .put("dropout", 0.0)
                .put("attention_dropout", 0.0)
                .put("use_flash_attn", false)
                .put("torch_dtype", "float32");
        ObjectNode llm = JSON.createObjectNode();
        llm.putArray("architectures").add("Qwen2ForCausalLM");
        llm.put("model_type", "qwen2")
                .put("hidden_size", HIDDEN)
                .put("intermediate_size", INTERMEDIATE)
                .put("num_hidden_layers", LAYERS)
                .put("num_attention_heads", HEADS)
                .put("num_key_value_heads", KV_HEADS)
                .put("hidden_act", "silu")
                .put("max_position_embeddings", MAX_POSITIONS)
                .put("max_window_layers", 21)
                .put("rms_norm_eps", 1e-6)
                .put("rope_theta", 1000000.0)
                .putNull("rope_scaling")
                .put("sliding_window", 32768)
                .put("use_sliding_window", false)
                .put("attention_dropout", 0.0)
                .put("bos_token_id", BOS)
                .put("eos_token_id", EOS)
                .put("tie_word_embeddings", false)
                .put("vocab_size", VOCAB)
                .put("torch_dtype", "float32")
                .put("use_cache", true);
        ObjectNode config = JSON.createObjectNode();
        config.putArray("architectures").add("InternVLChatModel");
        config.put("model_type", "internvl_chat")
                .put("downsample_ratio", 0.5)
                .put("dynamic_image_size", true)
                .put("force_image_size", IMAGE)
                .put("max_dynamic_patch", 12)
                .put("min_dynamic_patch", 1)
                .put("ps_version", "v2")
                .put("select_layer", -1)
                .put("template", "internvl2_5")
                .put("use_thumbnail", true)
                .put("pad2square", false)
                .put("use_backbone_lora", 0)
                .put("use_llm_lora", 0)
                .put("tie_word_embeddings", false)
                .put("torch_dtype", "float32");
        config.set("vision_config", vision);
        config.set("llm_config", llm);
        return config;
    }
}
