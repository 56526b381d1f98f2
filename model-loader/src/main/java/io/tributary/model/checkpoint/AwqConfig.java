package io.tributary.model.checkpoint;

import io.tributary.model.kernel.Kernels;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A checkpoint quantised by AutoAWQ, as its {@code config.json} says in {@code quantization_config} (the keys
 * transformers' {@code AwqConfig} reads). Each linear layer {@code X} of the decoder is stored as {@code X.qweight}
 * int32 [in, out/8], {@code X.qzeros} int32 [in/group, out/8] and {@code X.scales} fp16 [in/group, out], meaning
 * {@code w[o, i] = (q[i, o] - z[i/group, o]) * s[i/group, o]}.
 *
 * <p>Only the layout we can serve is accepted: 4 bits, zero points, AutoAWQ's GEMM packing. The other versions
 * (GEMV, Marlin, ExLlama, IPEX) and the original llm-awq backend store other layouts, and reading them as GEMM would
 * give a model that loads and writes nonsense, so they are refused by name.
 *
 * @param groupSize            input features per scale and zero point
 * @param modulesNotConverted  transformers' {@code modules_to_not_convert}: a linear layer whose module name contains
 *                             one of these is stored in float (a LLaVA's vision tower and projector, for instance)
 */
public record AwqConfig(int groupSize, List<String> modulesNotConverted) {

    public AwqConfig {
        modulesNotConverted = List.copyOf(modulesNotConverted);
        if (!Kernels.isInt4GroupSize(groupSize)) {
            throw new IllegalArgumentException("quantization_config.group_size " + groupSize
                    + " is not supported: the int4 kernel takes groups of 32, 64, 128 or 256");
        }
    }

    /**
     * The AWQ configuration of {@code config} (a whole {@code config.json}, or a nested text config), if its
     * {@code quantization_config} names {@code quant_method} "awq".
     *
     * @throws IllegalArgumentException for another quantisation method, or an AWQ variant we cannot serve
     */
    public static Optional<AwqConfig> of(JsonNode config) {
        JsonNode quantization = config.path("quantization_config");
        if (quantization.isMissingNode() || quantization.isNull()) {
            return Optional.empty();
        }
        String method = quantization.path("quant_method").asString("");
        if (!method.equalsIgnoreCase("awq")) {
            throw new IllegalArgumentException("quantization_config.quant_method '" + method
                    + "' is not supported: only AWQ checkpoints (quant_method awq, version gemm) are read as"
                    + " quantised; load the unquantised checkpoint and use the int8 or int4 quantization option");
        }
        // transformers' keys, with AutoAWQ's own spellings (quant_config.json) as fallbacks.
        int bits = quantization.path("bits").asInt(quantization.path("w_bit").asInt(4));
        if (bits != 4) {
            throw new IllegalArgumentException("AWQ with " + bits + " bits is not supported (4 bits only)");
        }
        String version = quantization.path("version").asString("gemm").toLowerCase(Locale.ROOT);
        if (!version.equals("gemm")) {
            throw new IllegalArgumentException("AWQ version '" + version + "' is not supported: its packing differs"
                    + " from GEMM's; re-save the checkpoint with AutoAWQ version GEMM");
        }
        String backend = quantization.path("backend").asString("autoawq").toLowerCase(Locale.ROOT);
        if (!backend.equals("autoawq")) {
            throw new IllegalArgumentException("AWQ backend '" + backend + "' is not supported: only checkpoints"
                    + " written by AutoAWQ (backend autoawq) use the GEMM packing this server reads");
        }
        if (!quantization.path("zero_point").asBoolean(true)) {
            throw new IllegalArgumentException("AWQ without zero points (zero_point false) is not supported");
        }
        int group = quantization
                .path("group_size")
                .asInt(quantization.path("q_group_size").asInt(128));
        List<String> notConverted = new ArrayList<>();
        quantization.path("modules_to_not_convert").forEach(name -> notConverted.add(name.asString()));
        return Optional.of(new AwqConfig(group, notConverted));
    }

    /**
     * The AWQ configuration of a multimodal checkpoint's decoder: transformers reads {@code quantization_config} at
     * the top of {@code config.json}; a copy inside the text config is read when the top has none.
     */
    public static Optional<AwqConfig> of(JsonNode config, JsonNode textConfig) {
        Optional<AwqConfig> top = of(config);
        return top.isPresent() ? top : of(textConfig);
    }

    /** Whether the linear layer {@code module} (e.g. {@code model.layers.0.mlp.up_proj}) is stored quantised. */
    public boolean converts(String module) {
        return modulesNotConverted.stream().noneMatch(module::contains);
    }

    /**
     * @throws IllegalArgumentException unless the groups tile {@code inFeatures} and the output features pack into
     *                                  whole int32s
     */
    public void checkLinear(String what, long outFeatures, long inFeatures) {
        if (inFeatures % groupSize != 0) {
            throw new IllegalArgumentException("AWQ group_size " + groupSize + " does not divide the " + inFeatures
                    + " input features of " + what);
        }
        if (outFeatures % 8 != 0) {
            throw new IllegalArgumentException(
                    "AWQ packs 8 output features per int32, but " + what + " has " + outFeatures);
        }
    }
}
