package io.tributary.model.tiny;

import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes tiny LLaVA-1.5 checkpoints in llava-hf's layout: {@code config.json} ({@code LlavaForConditionalGeneration}
 * with a sparse {@code vision_config}, as llava-hf ships it, so CLIP's defaults apply), {@code model.safetensors}
 * with the legacy keys ({@code language_model.model.*}, {@code vision_tower.vision_model.*},
 * {@code multi_modal_projector.*}), a tokenizer with an {@code <image>} special token and the
 * {@code USER: <image>\n... ASSISTANT:} chat template, and a CLIPImageProcessor {@code preprocessor_config.json}.
 * The bytes depend only on spec and seed.
 */
public final class TinyLlava {

    /**
     * LLaVA-1.5's conversation format ({@code USER: <image>\n... ASSISTANT: ...</s>}, images first in each turn,
     * roles upper-cased), opening with the BOS token as Llama's templates do, so a chat request reads exactly what
     * {@code /generate} feeds (the tokenizer adds BOS there) and an answer ends where training ended it.
     */
    public static final String CHAT_TEMPLATE = "{{ bos_token }}{% for message in messages %}"
            + "{% if message['role'] != 'system' %}{{ message['role'].upper() + ': ' }}{% endif %}"
            + "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for content in "
            + "message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\\n' }}{% endfor %}"
            + "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] }}"
            + "{% endfor %}{% endif %}{% if message['role'] == 'assistant' %}{{ eos_token }}{% else %}{{ ' ' }}"
            + "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}";

    private static final double[] CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    private static final double[] CLIP_STD = {0.26862954, 0.26130258, 0.27577711};
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VISION_TOWER = "vision_tower.";

    private TinyLlava() {}

    public static void write(Path directory, TinyLlavaSpec spec, long seed) throws IOException {
        write(directory, spec, seed, seed);
    }

    /**
     * A LLaVA expert in the paper's paradigm: decoder and projector of its own ({@code seed}) around a frozen
     * CLIP tower shared with other experts ({@code towerSeed}: the same seed gives the same tensors, byte for byte).
     */
    public static void write(Path directory, TinyLlavaSpec spec, long seed, long towerSeed) throws IOException {
        List<Tensor> tensors = new ArrayList<>(weights(spec, seed));
        if (towerSeed != seed) {
            tensors.removeIf(tensor -> tensor.name().startsWith(VISION_TOWER));
            weights(spec, towerSeed).stream()
                    .filter(tensor -> tensor.name().startsWith(VISION_TOWER))
                    .forEach(tensors::add);
        }
        Files.createDirectories(directory);
        Files.writeString(directory.resolve("config.json"), pretty(config(spec)));
        Files.writeString(directory.resolve("generation_config.json"), pretty(generationConfig()));
        Files.writeString(directory.resolve("preprocessor_config.json"), pretty(preprocessorConfig(spec)));
        TinyTokenizer.write(directory, spec.maxPositions(), List.of("<image>", "<pad>"), CHAT_TEMPLATE);
        SafetensorsWriter.write(directory.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
    }

    static ObjectNode config(TinyLlavaSpec spec) {
        ObjectNode config = JSON.createObjectNode();
        config.putArray("architectures").add("LlavaForConditionalGeneration");
        config.put("ignore_index", -100);
        config.put("image_seq_length", spec.tokensPerImage());
        config.put("image_token_index", TinyLlavaSpec.IMAGE_TOKEN_ID);
        config.put("model_type", "llava");
        config.put("pad_token_id", TinyLlavaSpec.PAD_TOKEN_ID);
        config.put("projector_hidden_act", "gelu");
        ObjectNode text = config.putObject("text_config");
        text.putArray("architectures").add("LlamaForCausalLM");
        text.put("bos_token_id", TinyTokenizer.BOS_ID);
        text.put("eos_token_id", TinyTokenizer.EOS_ID);
        text.put("hidden_size", spec.textHidden());
        text.put("intermediate_size", spec.textIntermediate());
        text.put("max_position_embeddings", spec.maxPositions());
        text.put("model_type", "llama");
        text.put("num_attention_heads", spec.textHeads());
        text.put("num_hidden_layers", spec.textLayers());
        text.put("num_key_value_heads", spec.textKvHeads());
        text.put("rms_norm_eps", 1e-5);
        text.put("rope_theta", spec.sharp() ? 100.0 : 10000.0); // sharp: positions rotate a lot
        text.put("torch_dtype", "float32");
        text.put("vocab_size", TinyLlavaSpec.TEXT_VOCABULARY_SIZE);
        config.put("tie_word_embeddings", false);
        config.put("torch_dtype", "float32");
        config.put("vision_feature_layer", spec.visionFeatureLayer());
        config.put("vision_feature_select_strategy", spec.keepClassToken() ? "full" : "default");
        ObjectNode vision = config.putObject("vision_config");
        vision.put("hidden_size", spec.visionHidden());
        vision.put("image_size", spec.imageSize());
        vision.put("intermediate_size", spec.visionIntermediate());
        vision.put("model_type", "clip_vision_model");
        vision.put("num_attention_heads", spec.visionHeads());
        vision.put("num_hidden_layers", spec.visionLayers());
        vision.put("patch_size", spec.patchSize());
        vision.put("projection_dim", spec.projectionDim());
        config.put("vocab_size", TinyLlavaSpec.TEXT_VOCABULARY_SIZE);
        return config;
    }

    private static ObjectNode generationConfig() {
        ObjectNode config = JSON.createObjectNode();
        config.put("bos_token_id", TinyTokenizer.BOS_ID);
        config.put("eos_token_id", TinyTokenizer.EOS_ID);
        config.put("pad_token_id", TinyLlavaSpec.PAD_TOKEN_ID);
        return config;
    }

    /** CLIPImageProcessor as llava-hf configures it: resize the short edge, centre crop, rescale, normalise. */
    static ObjectNode preprocessorConfig(TinyLlavaSpec spec) {
        ObjectNode config = JSON.createObjectNode();
        config.putObject("crop_size").put("height", spec.imageSize()).put("width", spec.imageSize());
        config.put("do_center_crop", true);
        config.put("do_convert_rgb", true);
        config.put("do_normalize", true);
        config.put("do_rescale", true);
        config.put("do_resize", true);
        ArrayNode mean = config.putArray("image_mean");
        ArrayNode std = config.putArray("image_std");
        for (int c = 0; c < 3; c++) {
            mean.add(CLIP_MEAN[c]);
            std.add(CLIP_STD[c]);
        }
        config.put("image_processor_type", "CLIPImageProcessor");
        config.put("processor_class", "LlavaProcessor");
        config.put("resample", 3);
        config.put("rescale_factor", 1 / 255.0);
        config.putObject("size").put("shortest_edge", spec.imageSize());
        return config;
    }

    /**
     * The weights {@link #write} writes, under llava-hf's legacy keys, in its file order. Public so tests can
     * rename, drop or reshape one.
     */
    public static List<Tensor> weights(TinyLlavaSpec spec, long seed) {
        Init init = new Init(new WeightFactory(spec.weightType(), seed), spec.sharp());
        int hidden = spec.textHidden();
        int kvDim = spec.textKvHeads() * spec.textHeadDim();
        int inter = spec.textIntermediate();
        int vocab = TinyLlavaSpec.TEXT_VOCABULARY_SIZE;
        List<Tensor> tensors = new ArrayList<>();
        tensors.add(init.embedding("language_model.model.embed_tokens.weight", vocab, hidden));
        for (int i = 0; i < spec.textLayers(); i++) {
            String p = "language_model.model.layers." + i + ".";
            tensors.add(init.norm(p + "input_layernorm.weight", hidden));
            tensors.add(init.linear(p + "mlp.down_proj.weight", hidden, inter));
            tensors.add(init.linear(p + "mlp.gate_proj.weight", inter, hidden));
            tensors.add(init.linear(p + "mlp.up_proj.weight", inter, hidden));
            tensors.add(init.norm(p + "post_attention_layernorm.weight", hidden));
            tensors.add(init.linear(p + "self_attn.k_proj.weight", kvDim, hidden));
            tensors.add(init.linear(p + "self_attn.o_proj.weight", hidden, hidden));
            tensors.add(init.linear(p + "self_attn.q_proj.weight", hidden, hidden));
            tensors.add(init.linear(p + "self_attn.v_proj.weight", kvDim, hidden));
        }
        tensors.add(init.norm("language_model.model.norm.weight", hidden));
        tensors.add(init.linear("language_model.lm_head.weight", vocab, hidden));
        tensors.add(init.linear("multi_modal_projector.linear_1.weight", hidden, spec.visionHidden()));
        tensors.add(init.bias("multi_modal_projector.linear_1.bias", hidden));
        tensors.add(init.linear("multi_modal_projector.linear_2.weight", hidden, hidden));
        tensors.add(init.bias("multi_modal_projector.linear_2.bias", hidden));
        tensors.addAll(visionTower(spec, init));
        return tensors;
    }

    private static List<Tensor> visionTower(TinyLlavaSpec spec, Init init) {
        int e = spec.visionHidden();
        int patch = spec.patchSize();
        int positions = spec.patches() + 1; // and the class token
        String v = "vision_tower.vision_model.";
        List<Tensor> tensors = new ArrayList<>();
        tensors.add(init.embedding(v + "embeddings.class_embedding", e));
        tensors.add(init.patchEmbedding(v + "embeddings.patch_embedding.weight", e, TinyLlavaSpec.NUM_CHANNELS, patch));
        tensors.add(init.embedding(v + "embeddings.position_embedding.weight", positions, e));
        for (int i = 0; i < spec.visionLayers(); i++) {
            String l = v + "encoder.layers." + i + ".";
            tensors.add(init.norm(l + "layer_norm1.weight", e));
            tensors.add(init.bias(l + "layer_norm1.bias", e));
            tensors.add(init.norm(l + "layer_norm2.weight", e));
            tensors.add(init.bias(l + "layer_norm2.bias", e));
            tensors.add(init.linear(l + "mlp.fc1.weight", spec.visionIntermediate(), e));
            tensors.add(init.bias(l + "mlp.fc1.bias", spec.visionIntermediate()));
            tensors.add(init.linear(l + "mlp.fc2.weight", e, spec.visionIntermediate()));
            tensors.add(init.bias(l + "mlp.fc2.bias", e));
            for (String proj : List.of("k_proj", "out_proj", "q_proj", "v_proj")) {
                tensors.add(init.linear(l + "self_attn." + proj + ".weight", e, e));
                tensors.add(init.bias(l + "self_attn." + proj + ".bias", e));
            }
        }
        tensors.add(init.norm(v + "post_layernorm.weight", e));
        tensors.add(init.bias(v + "post_layernorm.bias", e));
        tensors.add(init.norm(v + "pre_layrnorm.weight", e));
        tensors.add(init.bias(v + "pre_layrnorm.bias", e));
        return tensors;
    }

    /**
     * transformers-like initialisation (std 0.02, zero biases, unit norms), or sharp: unit-variance embeddings,
     * linear layers with twice the unit-variance gain, random biases and norm scales.
     */
    private record Init(WeightFactory f, boolean sharp) {
        Tensor linear(String name, int rows, int columns) {
            return sharp ? f.normal(name, 2.0 / Math.sqrt(columns), rows, columns) : f.normal(name, rows, columns);
        }

        Tensor patchEmbedding(String name, int hidden, int channels, int patch) {
            double std = sharp ? 2.0 / Math.sqrt(channels * patch * patch) : TinyCheckpoints.INITIALIZER_RANGE;
            return f.normal(name, std, hidden, channels, patch, patch);
        }

        Tensor embedding(String name, long... shape) {
            return f.normal(name, sharp ? 1.0 : TinyCheckpoints.INITIALIZER_RANGE, shape);
        }

        Tensor norm(String name, int size) {
            return sharp ? f.uniform(name, 0.5, 1.5, size) : f.ones(name, size);
        }

        Tensor bias(String name, int size) {
            return sharp ? f.normal(name, 0.5, size) : f.zeros(name, size);
        }
    }

    private static String pretty(ObjectNode node) {
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n";
    }
}
