package io.tributary.model.tiny;

import io.tributary.model.internvl.InternVlLayout;
import io.tributary.model.internvl.TinyInternVlSpec;
import io.tributary.model.internvl.TinyInternVlVision;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes complete tiny InternVL 2.5 checkpoints, in OpenGVLab's {@code InternVLChatModel} layout or transformers'
 * {@code InternVLForConditionalGeneration} layout: InternViT and projector ({@link TinyInternVlVision}, at
 * transformers' ModelTester sizes), a tiny Qwen2 decoder with q/k/v biases, {@code config.json}, a tokenizer with
 * {@code <img>}, {@code </img>}, {@code <IMG_CONTEXT>}, {@code <|im_start|>} and {@code <|im_end|>}, the InternVL 2.5
 * chat template, and {@code generation_config.json}. All weights are "sharp" (unit-scale activations, norms and
 * biases far from 1 and 0) so parity tests see every bug; the bytes depend only on spec, layout and seed.
 */
public final class TinyInternVl {

    public static final int IMG_START_ID = TinyTokenizer.VOCABULARY_SIZE;
    public static final int IMG_END_ID = TinyTokenizer.VOCABULARY_SIZE + 1;
    public static final int IMG_CONTEXT_ID = TinyTokenizer.VOCABULARY_SIZE + 2;
    public static final int IM_START_ID = TinyTokenizer.VOCABULARY_SIZE + 3;
    public static final int IM_END_ID = TinyTokenizer.VOCABULARY_SIZE + 4;
    /** The tokenizer's 517 ids padded, as Qwen2 pads its embedding table beyond the tokenizer. */
    public static final int TEXT_VOCABULARY_SIZE = TinyTokenizer.VOCABULARY_SIZE + 64;

    static final List<String> SPECIAL_TOKENS =
            List.of("<img>", "</img>", "<IMG_CONTEXT>", "<|im_start|>", "<|im_end|>");
    static final String SYSTEM_MESSAGE = "你是书生·万象，英文名是InternVL，是由上海人工智能实验室、清华大学及多家合作单位联合开发的多模态大语言模型。";
    /**
     * OpenGVLab's {@code internvl2_5} conversation as a Jinja template: ChatML turns, its default system message
     * when none is given, each image of a turn as one {@code <IMG_CONTEXT>} line before the turn's text.
     */
    public static final String CHAT_TEMPLATE = "{% if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\n"
            + SYSTEM_MESSAGE + "<|im_end|>\\n' }}{% endif %}{% for message in messages %}"
            + "{{ '<|im_start|>' + message['role'] + '\\n' }}{% if message['content'] is string %}"
            + "{{ message['content'] }}{% else %}{% for content in message['content'] | "
            + "selectattr('type', 'equalto', 'image') %}{{ '<IMG_CONTEXT>\\n' }}{% endfor %}{% for content in "
            + "message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] }}{% endfor %}"
            + "{% endif %}{{ '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static final ObjectMapper JSON = new ObjectMapper();

    private TinyInternVl() {}

    /**
     * The shape of a tiny InternVL checkpoint: the vision side and the Qwen2 decoder of width
     * {@code vision.llmHiddenSize()}.
     */
    public record Spec(
            TinyInternVlSpec vision, int layers, int heads, int kvHeads, int intermediate, int maxPositions) {

        /** InternVL's ModelTester vision (64-px tiles, 64 tokens each), a 2-layer GQA decoder of width 128. */
        public static Spec forTests() {
            return new Spec(TinyInternVlSpec.modelTester(), 2, 4, 2, 37, 2048);
        }

        int hidden() {
            return vision.llmHiddenSize();
        }

        int headDim() {
            return hidden() / heads;
        }
    }

    public static void write(Path directory, Spec spec, InternVlLayout layout, long seed) throws IOException {
        TinyInternVlVision.write(
                directory, spec.vision(), layout, seed, decoderWeights(spec, seed), decoderConfig(spec));
        if (layout != InternVlLayout.ORIGINAL) { // transformers' config names the image token
            Path config = directory.resolve("config.json");
            ObjectNode json = (ObjectNode) JSON.readTree(config);
            json.put("image_token_id", IMG_CONTEXT_ID);
            Files.writeString(config, pretty(json));
        }
        ObjectNode generation = JSON.createObjectNode();
        generation.putArray("eos_token_id").add(IM_END_ID).add(TinyTokenizer.EOS_ID);
        Files.writeString(directory.resolve("generation_config.json"), pretty(generation));
        TinyTokenizer.write(directory, spec.maxPositions(), SPECIAL_TOKENS, CHAT_TEMPLATE);
    }

    /** The decoder's {@code llm_config} / {@code text_config}: a Qwen2 config. */
    static ObjectNode decoderConfig(Spec spec) {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("Qwen2ForCausalLM");
        c.put("model_type", "qwen2");
        c.put("hidden_size", spec.hidden());
        c.put("intermediate_size", spec.intermediate());
        c.put("num_hidden_layers", spec.layers());
        c.put("num_attention_heads", spec.heads());
        c.put("num_key_value_heads", spec.kvHeads());
        c.put("max_position_embeddings", spec.maxPositions());
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", 100.0); // real InternVL 2.5 uses 1e6; a small theta makes positions matter here
        c.put("hidden_act", "silu");
        c.put("tie_word_embeddings", false);
        c.put("use_sliding_window", false);
        c.put("vocab_size", TEXT_VOCABULARY_SIZE);
        c.put("bos_token_id", TinyTokenizer.BOS_ID);
        c.put("eos_token_id", IM_END_ID);
        c.put("torch_dtype", "float32");
        return c;
    }

    /** The decoder under {@code Qwen2ForCausalLM} names; {@link TinyInternVlVision} renames them per layout. */
    public static List<Tensor> decoderWeights(Spec spec, long seed) {
        WeightFactory f = new WeightFactory(SafetensorsDType.F32, seed);
        int hidden = spec.hidden();
        int q = spec.heads() * spec.headDim();
        int kv = spec.kvHeads() * spec.headDim();
        int inter = spec.intermediate();
        List<Tensor> t = new ArrayList<>();
        t.add(f.normal("model.embed_tokens.weight", 1.0, TEXT_VOCABULARY_SIZE, hidden));
        for (int i = 0; i < spec.layers(); i++) {
            String p = "model.layers." + i + ".";
            t.add(f.uniform(p + "input_layernorm.weight", 0.5, 1.5, hidden));
            t.add(linear(f, p + "self_attn.q_proj.weight", q, hidden));
            t.add(f.normal(p + "self_attn.q_proj.bias", 0.5, q));
            t.add(linear(f, p + "self_attn.k_proj.weight", kv, hidden));
            t.add(f.normal(p + "self_attn.k_proj.bias", 0.5, kv));
            t.add(linear(f, p + "self_attn.v_proj.weight", kv, hidden));
            t.add(f.normal(p + "self_attn.v_proj.bias", 0.5, kv));
            t.add(linear(f, p + "self_attn.o_proj.weight", hidden, q));
            t.add(f.uniform(p + "post_attention_layernorm.weight", 0.5, 1.5, hidden));
            t.add(linear(f, p + "mlp.gate_proj.weight", inter, hidden));
            t.add(linear(f, p + "mlp.up_proj.weight", inter, hidden));
            t.add(linear(f, p + "mlp.down_proj.weight", hidden, inter));
        }
        t.add(f.uniform("model.norm.weight", 0.5, 1.5, hidden));
        t.add(linear(f, "lm_head.weight", TEXT_VOCABULARY_SIZE, hidden));
        return t;
    }

    /** Twice the unit-variance gain: sharp attention, far-from-uniform distributions. */
    private static Tensor linear(WeightFactory f, String name, int rows, int columns) {
        return f.normal(name, 2.0 / Math.sqrt(columns), rows, columns);
    }

    private static String pretty(ObjectNode node) {
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n";
    }
}
