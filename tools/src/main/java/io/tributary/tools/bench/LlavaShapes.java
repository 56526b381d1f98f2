package io.tributary.tools.bench;

import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The shapes of a LLaVA-1.5 checkpoint in llava-hf's layout ({@code LlavaForConditionalGeneration}): a CLIP vision
 * tower, a two-layer projector with GELU, a Llama decoder. {@link #LLAVA_1_5_7B} is {@code llava-hf/llava-1.5-7b-hf}
 * as its {@code config.json} on the Hub describes it:
 * <ul>
 *   <li>{@code vision_config}: CLIP ViT-L/14-336 (hidden 1024, intermediate 4096, 24 layers, 16 heads, image 336,
 *       patch 14, projection_dim 768; hidden_act quick_gelu and layer_norm_eps 1e-5 by CLIP's defaults);</li>
 *   <li>top level: {@code image_token_index} 32000, {@code pad_token_id} 32001, {@code projector_hidden_act} gelu,
 *       {@code vision_feature_layer} -2, {@code vision_feature_select_strategy} default (the class token dropped:
 *       576 image positions), {@code tie_word_embeddings} false, {@code vocab_size} 32064;</li>
 *   <li>{@code text_config} (lmsys/vicuna-7b-v1.5, sparse on the Hub, Llama's defaults filling it): hidden 4096,
 *       intermediate 11008, 32 layers, 32 heads, 32 key/value heads, rms_norm_eps 1e-5, rope_theta 10000,
 *       max_position_embeddings 4096, {@code vocab_size} 32064 (Llama-2's 32000, {@code <image>}, {@code <pad>},
 *       padded to a multiple of 64).</li>
 * </ul>
 * The Hub checkpoint is float16 (14 GB); so is the benchmark's. Smaller shapes of the same layout test the writer
 * and the benchmark without writing gigabytes.
 */
record LlavaShapes(
        int visionHidden,
        int visionIntermediate,
        int visionLayers,
        int visionHeads,
        int image,
        int patch,
        int hidden,
        int intermediate,
        int layers,
        int heads,
        int kvHeads,
        int vocab,
        int maxPositions) {

    static final int BOS = 1;
    static final int EOS = 2;
    static final int IMAGE_TOKEN = 32000;
    static final int PAD_TOKEN = 32001;
    /** Llama-2's 32000 tokens plus {@code <image>} and {@code <pad>}: the ids a tokenizer of this model knows. */
    static final int TOKENIZER_VOCAB = 32002;
    /** CLIP's projection of the pooled output: in the checkpoint's config, no tensor of LLaVA's uses it. */
    private static final int PROJECTION_DIM = 768;

    static final LlavaShapes LLAVA_1_5_7B =
            new LlavaShapes(1024, 4096, 24, 16, 336, 14, 4096, 11008, 32, 32, 32, 32064, 4096);

    /** The 7B's layout and vocabulary at a few megabytes, for tests: narrow layers, 28-pixel images of 4 patches. */
    static final LlavaShapes NARROW = new LlavaShapes(64, 128, 2, 4, 28, 14, 64, 128, 2, 4, 4, 32064, 4096);

    /** The same widths with fewer layers: a quick run of the real widths. */
    LlavaShapes withLayers(int decoderLayers, int towerLayers) {
        return new LlavaShapes(
                visionHidden,
                visionIntermediate,
                towerLayers,
                visionHeads,
                image,
                patch,
                hidden,
                intermediate,
                decoderLayers,
                heads,
                kvHeads,
                vocab,
                maxPositions);
    }

    /** The shapes in a few words: {@code CLIP 24 x 1024 at 336/14, Llama 32 x 4096 (mlp 11008, vocab 32064)}. */
    String describe() {
        return String.format(
                "CLIP %d x %d at %d/%d, Llama %d x %d (mlp %d, vocab %d)",
                visionLayers, visionHidden, image, patch, layers, hidden, intermediate, vocab);
    }

    int headDim() {
        return hidden / heads;
    }

    /** Patches of one image, and so the decoder positions it takes (the class token is dropped). */
    int patches() {
        int side = image / patch;
        return side * side;
    }

    /**
     * {@code config.json} as llava-hf ships it: sparse, so the loader's defaults (transformers') fill the rest. The
     * layer counts are written too, which the Hub's file leaves to the defaults, so reduced shapes say theirs.
     */
    ObjectNode config() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode();
        config.putArray("architectures").add("LlavaForConditionalGeneration");
        config.put("ignore_index", -100)
                .put("image_token_index", IMAGE_TOKEN)
                .put("model_type", "llava")
                .put("pad_token_id", PAD_TOKEN)
                .put("projector_hidden_act", "gelu");
        ObjectNode text = config.putObject("text_config");
        text.put("_name_or_path", "lmsys/vicuna-7b-v1.5");
        text.putArray("architectures").add("LlamaForCausalLM");
        text.put("hidden_size", hidden)
                .put("intermediate_size", intermediate)
                .put("max_position_embeddings", maxPositions)
                .put("model_type", "llama")
                .put("num_attention_heads", heads)
                .put("num_hidden_layers", layers)
                .put("num_key_value_heads", kvHeads)
                .put("rms_norm_eps", 1e-5)
                .put("rope_theta", 10000.0)
                .put("torch_dtype", "float16")
                .put("vocab_size", vocab);
        config.put("tie_word_embeddings", false).put("torch_dtype", "float16");
        ObjectNode vision = config.putObject("vision_config");
        vision.put("hidden_size", visionHidden)
                .put("image_size", image)
                .put("intermediate_size", visionIntermediate)
                .put("model_type", "clip_vision_model")
                .put("num_attention_heads", visionHeads)
                .put("num_hidden_layers", visionLayers)
                .put("patch_size", patch)
                .put("projection_dim", PROJECTION_DIM)
                .put("vocab_size", 32000);
        config.put("vision_feature_layer", -2)
                .put("vision_feature_select_strategy", "default")
                .put("vocab_size", vocab);
        return config;
    }

    /** llava-hf's {@code preprocessor_config.json}: CLIPImageProcessor, short edge resized, centre crop. */
    ObjectNode preprocessorConfig() {
        double[] mean = {0.48145466, 0.4578275, 0.40821073};
        double[] std = {0.26862954, 0.26130258, 0.27577711};
        ObjectNode config = new ObjectMapper().createObjectNode();
        config.putObject("crop_size").put("height", image).put("width", image);
        config.put("do_center_crop", true)
                .put("do_convert_rgb", true)
                .put("do_normalize", true)
                .put("do_rescale", true)
                .put("do_resize", true);
        ArrayNode means = config.putArray("image_mean");
        ArrayNode stds = config.putArray("image_std");
        for (int c = 0; c < 3; c++) {
            means.add(mean[c]);
            stds.add(std[c]);
        }
        config.put("image_processor_type", "CLIPImageProcessor")
                .put("processor_class", "LlavaProcessor")
                .put("resample", 3)
                .put("rescale_factor", 1 / 255.0);
        config.putObject("size").put("shortest_edge", image);
        return config;
    }

    /** {@code generation_config.json}. */
    ObjectNode generationConfig() {
        return new ObjectMapper()
                .createObjectNode()
                .put("bos_token_id", BOS)
                .put("eos_token_id", EOS)
                .put("pad_token_id", PAD_TOKEN);
    }
}
