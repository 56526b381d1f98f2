package io.tributary.model.tiny;

import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes tiny checkpoints in the exact Hugging Face layout ({@code config.json}, {@code model.safetensors},
 * {@code tokenizer.json}, {@code tokenizer_config.json}, {@code generation_config.json}), with random weights
 * initialised like transformers does (normal, std 0.02; norms 1). The bytes depend only on spec and seed.
 */
public final class TinyCheckpoints {

    static final double INITIALIZER_RANGE = 0.02;
    private static final ObjectMapper JSON = new ObjectMapper();

    private TinyCheckpoints() {}

    public static void writeLlama(Path directory, TinyLlamaSpec spec, long seed) throws IOException {
        Files.createDirectories(directory);
        Files.writeString(directory.resolve("config.json"), pretty(llamaConfig(spec)));
        Files.writeString(directory.resolve("generation_config.json"), pretty(generationConfig()));
        TinyTokenizer.write(directory, spec.maxPositions());
        SafetensorsWriter.write(
                directory.resolve("model.safetensors"), llamaWeights(spec, seed), Map.of("format", "pt"));
    }

    /**
     * A Llama checkpoint with a real tokenizer instead of the tiny one: {@code tokenizer.json} (and
     * {@code tokenizer_config.json}, if present) copied from {@code tokenizerDirectory}, embeddings sized to its
     * {@code vocabularySize}. Untrained, so its choices are random; what it tests is the vocabulary.
     */
    public static void writeLlama(
            Path directory, TinyLlamaSpec spec, long seed, Path tokenizerDirectory, int vocabularySize, int eosId)
            throws IOException {
        Files.createDirectories(directory);
        ObjectNode config = llamaConfig(spec);
        config.put("vocab_size", vocabularySize);
        config.put("eos_token_id", eosId);
        config.putNull("bos_token_id");
        Files.writeString(directory.resolve("config.json"), pretty(config));
        ObjectNode generation = JSON.createObjectNode();
        generation.put("eos_token_id", eosId);
        Files.writeString(directory.resolve("generation_config.json"), pretty(generation));
        for (String file : List.of("tokenizer.json", "tokenizer_config.json")) {
            if (Files.isRegularFile(tokenizerDirectory.resolve(file))) {
                Files.copy(
                        tokenizerDirectory.resolve(file),
                        directory.resolve(file),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        SafetensorsWriter.write(
                directory.resolve("model.safetensors"),
                llamaWeights(spec, seed, vocabularySize),
                Map.of("format", "pt"));
    }

    /** Experts of one mixture: same spec and tokenizer, a different seed each, in {@code root/expert-N}. */
    public static List<Path> writeLlamaMixture(Path root, TinyLlamaSpec spec, long... seeds) throws IOException {
        List<Path> experts = new ArrayList<>();
        for (int i = 0; i < seeds.length; i++) {
            Path directory = root.resolve("expert-" + i);
            writeLlama(directory, spec, seeds[i]);
            experts.add(directory);
        }
        return experts;
    }

    static ObjectNode llamaConfig(TinyLlamaSpec spec) {
        ObjectNode config = JSON.createObjectNode();
        config.putArray("architectures").add("LlamaForCausalLM");
        config.put("attention_bias", false);
        config.put("attention_dropout", 0.0);
        config.put("bos_token_id", TinyTokenizer.BOS_ID);
        config.put("eos_token_id", TinyTokenizer.EOS_ID);
        config.put("head_dim", spec.headDim());
        config.put("hidden_act", "silu");
        config.put("hidden_size", spec.hiddenSize());
        config.put("initializer_range", INITIALIZER_RANGE);
        config.put("intermediate_size", spec.intermediateSize());
        config.put("max_position_embeddings", spec.maxPositions());
        config.put("mlp_bias", false);
        config.put("model_type", "llama");
        config.put("num_attention_heads", spec.numHeads());
        config.put("num_hidden_layers", spec.numLayers());
        config.put("num_key_value_heads", spec.numKvHeads());
        config.put("pretraining_tp", 1);
        config.put("rms_norm_eps", 1e-6);
        config.putNull("rope_scaling");
        config.put("rope_theta", 10000.0);
        config.put("tie_word_embeddings", spec.tieWordEmbeddings());
        config.put(
                "torch_dtype",
                switch (spec.weightType()) {
                    case F32 -> "float32";
                    case F16 -> "float16";
                    case BF16 -> "bfloat16";
                    case I32 -> throw new IllegalArgumentException("weights are floats");
                });
        config.put("use_cache", true);
        config.put("vocab_size", TinyTokenizer.VOCABULARY_SIZE);
        return config;
    }

    private static ObjectNode generationConfig() {
        ObjectNode config = JSON.createObjectNode();
        config.put("bos_token_id", TinyTokenizer.BOS_ID);
        config.put("eos_token_id", TinyTokenizer.EOS_ID);
        return config;
    }

    /**
     * The weights {@link #writeLlama} writes, in transformers' state_dict order. Public so tests can drop, add or
     * reshape one and write a broken checkpoint.
     */
    public static List<Tensor> llamaWeights(TinyLlamaSpec spec, long seed) {
        return llamaWeights(spec, seed, TinyTokenizer.VOCABULARY_SIZE);
    }

    private static List<Tensor> llamaWeights(TinyLlamaSpec spec, long seed, int vocab) {
        int hidden = spec.hiddenSize();
        int kvDim = spec.numKvHeads() * spec.headDim();
        int inter = spec.intermediateSize();
        List<Tensor> tensors = new ArrayList<>();
        WeightFactory f = new WeightFactory(spec.weightType(), seed);
        tensors.add(f.normal("model.embed_tokens.weight", vocab, hidden));
        for (int i = 0; i < spec.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            tensors.add(f.normal(p + "self_attn.q_proj.weight", hidden, hidden));
            tensors.add(f.normal(p + "self_attn.k_proj.weight", kvDim, hidden));
            tensors.add(f.normal(p + "self_attn.v_proj.weight", kvDim, hidden));
            tensors.add(f.normal(p + "self_attn.o_proj.weight", hidden, hidden));
            tensors.add(f.normal(p + "mlp.gate_proj.weight", inter, hidden));
            tensors.add(f.normal(p + "mlp.up_proj.weight", inter, hidden));
            tensors.add(f.normal(p + "mlp.down_proj.weight", hidden, inter));
            tensors.add(f.ones(p + "input_layernorm.weight", hidden));
            tensors.add(f.ones(p + "post_attention_layernorm.weight", hidden));
        }
        tensors.add(f.ones("model.norm.weight", hidden));
        if (!spec.tieWordEmbeddings()) {
            tensors.add(f.normal("lm_head.weight", vocab, hidden));
        }
        return tensors;
    }

    private static String pretty(ObjectNode node) {
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n";
    }
}
