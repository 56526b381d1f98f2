package io.tributary.model.llama;

import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A tiny Llama checkpoint whose weights are large enough to matter: unit-scale activations, attention sharp enough
 * to depend on every cached position, random norm weights, a small rope_theta so positions rotate a lot. With
 * HF-style 0.02 weights every distribution is nearly uniform and a RoPE, GQA or cache bug could hide below 1e-4.
 */
public final class SharpCheckpoint {

    static final int HIDDEN = 64;
    static final int LAYERS = 2;
    static final int HEADS = 4;
    static final int KV_HEADS = 2;
    static final int INTER = 96;
    public static final int VOCAB = 50;

    private SharpCheckpoint() {}

    /** Which biases the attention projections carry. */
    public enum Biases {
        /** Llama's default. */
        NONE("LlamaForCausalLM", "llama", false),
        /** Llama with {@code attention_bias}: q, k, v and o. */
        LLAMA_ATTENTION_BIAS("LlamaForCausalLM", "llama", true),
        /** Qwen2: q, k and v only. */
        QWEN2("Qwen2ForCausalLM", "qwen2", false);

        final String architecture;
        final String modelType;
        final boolean attentionBias;

        Biases(String architecture, String modelType, boolean attentionBias) {
            this.architecture = architecture;
            this.modelType = modelType;
            this.attentionBias = attentionBias;
        }

        boolean qkv() {
            return this != NONE;
        }

        boolean output() {
            return this == LLAMA_ATTENTION_BIAS;
        }
    }

    public static void write(Path dir, boolean tied, int maxPositions) throws IOException {
        write(dir, tied, maxPositions, Biases.NONE, VOCAB);
    }

    public static void write(Path dir, boolean tied, int maxPositions, Biases biases, int vocab) throws IOException {
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["%s"], "model_type": "%s", "hidden_size": %d,
                 "num_hidden_layers": %d, "num_attention_heads": %d, "num_key_value_heads": %d,
                 "intermediate_size": %d, "vocab_size": %d, "max_position_embeddings": %d,
                 "rms_norm_eps": 1e-5, "rope_theta": 100.0, "tie_word_embeddings": %b, "attention_bias": %b}
                """.formatted(
                        biases.architecture,
                        biases.modelType,
                        HIDDEN,
                        LAYERS,
                        HEADS,
                        KV_HEADS,
                        INTER,
                        vocab,
                        maxPositions,
                        tied,
                        biases.attentionBias));
        Random random = new Random(42);
        int headDim = HIDDEN / HEADS;
        List<Tensor> tensors = new ArrayList<>();
        tensors.add(matrix(random, "model.embed_tokens.weight", vocab, HIDDEN, 1.0));
        for (int l = 0; l < LAYERS; l++) {
            String p = "model.layers." + l + ".";
            tensors.add(norm(random, p + "input_layernorm.weight"));
            tensors.add(linear(random, p + "self_attn.q_proj.weight", HEADS * headDim, HIDDEN));
            tensors.add(linear(random, p + "self_attn.k_proj.weight", KV_HEADS * headDim, HIDDEN));
            tensors.add(linear(random, p + "self_attn.v_proj.weight", KV_HEADS * headDim, HIDDEN));
            tensors.add(linear(random, p + "self_attn.o_proj.weight", HIDDEN, HEADS * headDim));
            if (biases.qkv()) {
                tensors.add(bias(random, p + "self_attn.q_proj.bias", HEADS * headDim));
                tensors.add(bias(random, p + "self_attn.k_proj.bias", KV_HEADS * headDim));
                tensors.add(bias(random, p + "self_attn.v_proj.bias", KV_HEADS * headDim));
            }
            if (biases.output()) {
                tensors.add(bias(random, p + "self_attn.o_proj.bias", HIDDEN));
            }
            tensors.add(norm(random, p + "post_attention_layernorm.weight"));
            tensors.add(linear(random, p + "mlp.gate_proj.weight", INTER, HIDDEN));
            tensors.add(linear(random, p + "mlp.up_proj.weight", INTER, HIDDEN));
            tensors.add(linear(random, p + "mlp.down_proj.weight", HIDDEN, INTER));
        }
        tensors.add(norm(random, "model.norm.weight"));
        if (!tied) {
            tensors.add(linear(random, "lm_head.weight", vocab, HIDDEN));
        }
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
    }

    /** Unit-variance outputs for unit-variance inputs, times 2 so attention is sharp. */
    private static Tensor linear(Random random, String name, int rows, int columns) {
        return matrix(random, name, rows, columns, 2.0 / Math.sqrt(columns));
    }

    private static Tensor matrix(Random random, String name, int rows, int columns, double std) {
        float[] values = new float[rows * columns];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * std);
        }
        return new Tensor(name, SafetensorsDType.F32, new long[] {rows, columns}, values);
    }

    private static Tensor bias(Random random, String name, int size) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return new Tensor(name, SafetensorsDType.F32, new long[] {size}, values);
    }

    private static Tensor norm(Random random, String name) {
        float[] values = new float[HIDDEN];
        for (int i = 0; i < HIDDEN; i++) {
            values[i] = 0.5f + random.nextFloat();
        }
        return new Tensor(name, SafetensorsDType.F32, new long[] {HIDDEN}, values);
    }
}
