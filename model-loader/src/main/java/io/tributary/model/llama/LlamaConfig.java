package io.tributary.model.llama;

import io.tributary.model.ModelLoadException;
import io.tributary.model.checkpoint.AwqConfig;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The fields of a Hugging Face {@code LlamaConfig} or {@code Qwen2Config} ({@code config.json}) that the forward
 * pass needs: Qwen2 is a Llama decoder with biased q/k/v projections. A missing field takes transformers' default
 * for the config's {@code model_type}, so a checkpoint means here what it means in transformers.
 *
 * @param eosTokenIds   may be several: {@code eos_token_id} is an int or a list
 * @param ropeScaling   empty for plain RoPE
 * @param attentionBias q/k/v projections have biases (Llama's {@code attention_bias}; always for Qwen2)
 * @param oProjBias     the output projection has a bias (Llama's {@code attention_bias}; never for Qwen2)
 * @param awq           the linear layers are stored AWQ-quantised ({@code quantization_config}); empty: in float
 */
public record LlamaConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        int maxPositionEmbeddings,
        double rmsNormEps,
        double ropeTheta,
        Optional<RopeScaling> ropeScaling,
        boolean tieWordEmbeddings,
        String hiddenAct,
        boolean attentionBias,
        boolean oProjBias,
        OptionalInt bosTokenId,
        List<Integer> eosTokenIds,
        Optional<AwqConfig> awq) {

    /** {@code rope_scaling} of the kinds we implement: "linear" (position interpolation) and "llama3". */
    public record RopeScaling(
            String type,
            double factor,
            double lowFreqFactor,
            double highFreqFactor,
            int originalMaxPositionEmbeddings) {}

    public LlamaConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + numAttentionHeads
                    + " is not a multiple of num_key_value_heads " + numKeyValueHeads);
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim must be even for rotary embeddings, got " + headDim);
        }
        // The components, not the fields: a compact constructor assigns the fields after its body.
        int qDim = numAttentionHeads * headDim;
        int kvDim = numKeyValueHeads * headDim;
        awq.ifPresent(config -> checkAwqShapes(config, hiddenSize, intermediateSize, qDim, kvDim));
    }

    /** The same config, its linear layers stored as {@code newAwq} says. */
    public LlamaConfig withAwq(Optional<AwqConfig> newAwq) {
        return new LlamaConfig(
                vocabSize,
                hiddenSize,
                intermediateSize,
                numHiddenLayers,
                numAttentionHeads,
                numKeyValueHeads,
                headDim,
                maxPositionEmbeddings,
                rmsNormEps,
                ropeTheta,
                ropeScaling,
                tieWordEmbeddings,
                hiddenAct,
                attentionBias,
                oProjBias,
                bosTokenId,
                eosTokenIds,
                newAwq);
    }

    /** Every quantised projection's groups must tile its input and its outputs pack into int32s. */
    private static void checkAwqShapes(AwqConfig config, int hiddenSize, int intermediateSize, int qDim, int kvDim) {
        config.checkLinear("q_proj", qDim, hiddenSize);
        config.checkLinear("k_proj and v_proj", kvDim, hiddenSize);
        config.checkLinear("o_proj", hiddenSize, qDim);
        config.checkLinear("gate_proj and up_proj", intermediateSize, hiddenSize);
        config.checkLinear("down_proj", hiddenSize, intermediateSize);
    }

    /** Query heads that share one key/value head (grouped-query attention); 1 is plain multi-head attention. */
    public int queriesPerKeyValueHead() {
        return numAttentionHeads / numKeyValueHeads;
    }

    public static LlamaConfig read(Path configJson) {
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(configJson);
        } catch (JacksonException e) {
            throw new ModelLoadException(configJson + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        try {
            return fromJson(json);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(configJson + ": " + e.getMessage(), e);
        }
    }

    /** Reads a {@code llama} config; {@code model_type} "qwen2" reads as {@link #fromQwen2Json}. */
    public static LlamaConfig fromJson(JsonNode json) {
        return json.path("model_type").asString("llama").equals("qwen2") ? fromQwen2Json(json) : fromLlamaJson(json);
    }

    /** Defaults below are those of transformers' {@code LlamaConfig.__init__}. */
    public static LlamaConfig fromLlamaJson(JsonNode json) {
        boolean attentionBias = json.path("attention_bias").asBoolean(false);
        return build(json, Defaults.LLAMA, attentionBias, attentionBias);
    }

    /**
     * Defaults below are those of transformers' {@code Qwen2Config.__init__}. Sliding-window attention is off by
     * default ({@code use_sliding_window} false) and refused when on, rather than silently attending too far.
     */
    public static LlamaConfig fromQwen2Json(JsonNode json) {
        if (json.path("use_sliding_window").asBoolean(false)) {
            throw new IllegalArgumentException("use_sliding_window = true is not supported");
        }
        return build(json, Defaults.QWEN2, true, false);
    }

    /** The transformers defaults that differ between the families. */
    private record Defaults(
            int vocab,
            int hidden,
            int intermediate,
            int layers,
            int heads,
            int maxPositions,
            OptionalInt bos,
            List<Integer> eos) {
        static final Defaults LLAMA = new Defaults(32000, 4096, 11008, 32, 32, 2048, OptionalInt.of(1), List.of(2));
        static final Defaults QWEN2 = new Defaults(151936, 4096, 22016, 32, 32, 32768, OptionalInt.empty(), List.of());
    }

    private static LlamaConfig build(JsonNode json, Defaults d, boolean attentionBias, boolean oProjBias) {
        int hidden = intField(json, "hidden_size", d.hidden());
        int heads = intField(json, "num_attention_heads", d.heads());
        int kvHeads = json.path("num_key_value_heads").isNull()
                        || json.path("num_key_value_heads").isMissingNode()
                ? heads
                : intField(json, "num_key_value_heads", heads);
        int headDim =
                json.path("head_dim").isIntegralNumber() ? json.get("head_dim").asInt() : hidden / heads;
        if (!json.path("head_dim").isIntegralNumber() && hidden % heads != 0) {
            throw new IllegalArgumentException("hidden_size " + hidden + " is not a multiple of num_attention_heads "
                    + heads + " and no head_dim is given");
        }
        String act = json.path("hidden_act").asString("silu");
        if (!act.equals("silu")) {
            throw new IllegalArgumentException("hidden_act '" + act + "' is not supported (Llama uses silu)");
        }
        if (json.path("mlp_bias").asBoolean(false)) {
            throw new IllegalArgumentException("mlp_bias = true is not supported yet");
        }
        int maxPositions = intField(json, "max_position_embeddings", d.maxPositions());
        return new LlamaConfig(
                intField(json, "vocab_size", d.vocab()),
                hidden,
                intField(json, "intermediate_size", d.intermediate()),
                intField(json, "num_hidden_layers", d.layers()),
                heads,
                kvHeads,
                headDim,
                maxPositions,
                json.path("rms_norm_eps").asDouble(1e-6),
                json.path("rope_theta").asDouble(10000.0),
                ropeScaling(json.path("rope_scaling"), maxPositions),
                json.path("tie_word_embeddings").asBoolean(false),
                act,
                attentionBias,
                oProjBias,
                json.has("bos_token_id") && json.get("bos_token_id").isIntegralNumber()
                        ? OptionalInt.of(json.get("bos_token_id").asInt())
                        : json.has("bos_token_id") ? OptionalInt.empty() : d.bos(),
                json.has("eos_token_id") ? tokenIds(json.get("eos_token_id")) : d.eos(),
                AwqConfig.of(json));
    }

    private static int intField(JsonNode json, String name, int fallback) {
        JsonNode node = json.path(name);
        if (node.isMissingNode() || node.isNull()) {
            return fallback;
        }
        if (!node.isIntegralNumber() || node.asInt() <= 0) {
            throw new IllegalArgumentException(name + " must be a positive integer, got " + node);
        }
        return node.asInt();
    }

    /** An id, a list of ids, or null. */
    static List<Integer> tokenIds(JsonNode node) {
        List<Integer> ids = new ArrayList<>();
        if (node.isIntegralNumber()) {
            ids.add(node.asInt());
        } else if (node.isArray()) {
            node.forEach(id -> ids.add(id.asInt()));
        }
        return ids;
    }

    private static Optional<RopeScaling> ropeScaling(JsonNode node, int maxPositions) {
        if (node.isMissingNode() || node.isNull()) {
            return Optional.empty();
        }
        // transformers renamed "type" to "rope_type"; checkpoints carry either.
        String type = node.path("rope_type").asString(node.path("type").asString("default"));
        if (type.equals("default")) {
            return Optional.empty();
        }
        if (!type.equals("linear") && !type.equals("llama3")) {
            throw new IllegalArgumentException("rope_scaling type '" + type + "' is not supported (linear, llama3)");
        }
        return Optional.of(new RopeScaling(
                type,
                node.path("factor").asDouble(1.0),
                node.path("low_freq_factor").asDouble(1.0),
                node.path("high_freq_factor").asDouble(4.0),
                node.path("original_max_position_embeddings").asInt(maxPositions)));
    }
}
