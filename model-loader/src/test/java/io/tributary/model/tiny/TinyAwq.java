package io.tributary.model.tiny;

import io.tributary.model.safetensors.HalfFloats;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A tiny Qwen2 decoder quantised as AutoAWQ stores one (GEMM layout, fp16 elsewhere), and the same model with its
 * linear weights dequantised to float32: what the AWQ checkpoint means, to compare it with. Quantisation is AWQ's
 * asymmetric rule per group of input features: s = (max - min) / 15 rounded to fp16, z = round(-min / s), q =
 * clamp(round(w / s) + z, 0, 15); w' = (q - z) * s. (AWQ's activation-aware scaling only changes which float weights
 * get quantised, not the stored layout.)
 */
public final class TinyAwq {

    /** AutoAWQ's nibble order: nibble n of an int32 holds output feature 8c + ORDER[n]. */
    private static final int[] ORDER = {0, 2, 4, 6, 1, 3, 5, 7};

    private TinyAwq() {}

    /** Writes the AWQ checkpoint to {@code awq} and its dequantised twin to {@code dequantised}. */
    public static void write(Path awq, Path dequantised, TinyLlamaSpec spec, int group, long seed) throws IOException {
        TinyCheckpoints.writeLlama(awq, spec, seed); // tokenizer and generation config; weights replaced below
        TinyCheckpoints.writeLlama(dequantised, spec, seed);
        ObjectNode config = qwen2Config(spec);
        Files.writeString(dequantised.resolve("config.json"), config.toPrettyString());
        ObjectNode quantization = config.putObject("quantization_config");
        quantization.put("quant_method", "awq");
        quantization.put("bits", 4);
        quantization.put("group_size", group);
        quantization.put("zero_point", true);
        quantization.put("version", "gemm");
        quantization.putNull("modules_to_not_convert");
        Files.writeString(awq.resolve("config.json"), config.toPrettyString());

        List<RawSafetensors.Entry> awqTensors = new ArrayList<>();
        List<Tensor> floatTensors = new ArrayList<>();
        for (Tensor tensor : floatWeights(spec, seed)) {
            String name = tensor.name();
            if (!name.endsWith("_proj.weight")) {
                float[] half = roundedToF16(tensor.values());
                awqTensors.add(new RawSafetensors.Entry(
                        name, SafetensorsDType.F16, tensor.shape(), RawSafetensors.halves(half)));
                floatTensors.add(new Tensor(name, SafetensorsDType.F16, tensor.shape(), half));
                continue;
            }
            String module = name.substring(0, name.length() - ".weight".length());
            Quantised q = quantise(tensor.values(), (int) tensor.shape()[0], (int) tensor.shape()[1], group);
            awqTensors.addAll(q.entries(module));
            floatTensors.add(new Tensor(name, SafetensorsDType.F32, tensor.shape(), q.dequantised()));
        }
        RawSafetensors.write(awq.resolve("model.safetensors"), awqTensors);
        SafetensorsWriter.write(dequantised.resolve("model.safetensors"), floatTensors, Map.of("format", "pt"));
    }

    private static ObjectNode qwen2Config(TinyLlamaSpec spec) {
        ObjectNode config = TinyCheckpoints.llamaConfig(spec);
        config.remove("attention_bias");
        config.remove("mlp_bias");
        config.putArray("architectures").add("Qwen2ForCausalLM");
        config.put("model_type", "qwen2");
        config.put("torch_dtype", "float16");
        return config;
    }

    /** The Llama weights plus Qwen2's q/k/v biases, so the fused bias and the q rows' scaling are exercised. */
    private static List<Tensor> floatWeights(TinyLlamaSpec spec, long seed) {
        WeightFactory f = new WeightFactory(SafetensorsDType.F32, seed);
        List<Tensor> tensors = new ArrayList<>(TinyCheckpoints.llamaWeights(spec, seed));
        int kvDim = spec.numKvHeads() * spec.headDim();
        for (int i = 0; i < spec.numLayers(); i++) {
            String attn = "model.layers." + i + ".self_attn.";
            tensors.add(f.normal(attn + "q_proj.bias", 0.5, spec.hiddenSize()));
            tensors.add(f.normal(attn + "k_proj.bias", 0.5, kvDim));
            tensors.add(f.normal(attn + "v_proj.bias", 0.5, kvDim));
        }
        return tensors;
    }

    /** One linear layer in AWQ's terms: q [in, out], z and s [in/group, out]. */
    private record Quantised(int out, int in, int group, int[] q, int[] z, float[] s) {

        List<RawSafetensors.Entry> entries(String module) {
            int groups = in / group;
            return List.of(
                    new RawSafetensors.Entry(
                            module + ".qweight",
                            SafetensorsDType.I32,
                            new long[] {in, out / 8},
                            RawSafetensors.int32s(pack(q, in, out))),
                    new RawSafetensors.Entry(
                            module + ".qzeros",
                            SafetensorsDType.I32,
                            new long[] {groups, out / 8},
                            RawSafetensors.int32s(pack(z, groups, out))),
                    new RawSafetensors.Entry(
                            module + ".scales",
                            SafetensorsDType.F16,
                            new long[] {groups, out},
                            RawSafetensors.halves(s)));
        }

        /** w'[o, i] = (q[i, o] - z[i / group, o]) * s[i / group, o], [out, in]. */
        float[] dequantised() {
            float[] w = new float[out * in];
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    int g = (i / group) * out + o;
                    w[o * in + i] = (q[i * out + o] - z[g]) * s[g];
                }
            }
            return w;
        }
    }

    private static Quantised quantise(float[] w, int out, int in, int group) {
        int groups = in / group;
        int[] q = new int[in * out];
        int[] z = new int[groups * out];
        float[] s = new float[groups * out];
        for (int o = 0; o < out; o++) {
            for (int g = 0; g < groups; g++) {
                float min = Float.POSITIVE_INFINITY;
                float max = Float.NEGATIVE_INFINITY;
                for (int i = g * group; i < (g + 1) * group; i++) {
                    min = Math.min(min, w[o * in + i]);
                    max = Math.max(max, w[o * in + i]);
                }
                float scale = HalfFloats.fromF16(HalfFloats.toF16(Math.max(max - min, 1e-5f) / 15));
                int zero = Math.max(0, Math.min(15, Math.round(-min / scale)));
                s[g * out + o] = scale;
                z[g * out + o] = zero;
                for (int i = g * group; i < (g + 1) * group; i++) {
                    q[i * out + o] = Math.max(0, Math.min(15, Math.round(w[o * in + i] / scale) + zero));
                }
            }
        }
        return new Quantised(out, in, group, q, z, s);
    }

    /** [rows, cols] values 0..15 into [rows, cols / 8] int32s, AWQ's nibble order. */
    private static int[] pack(int[] values, int rows, int cols) {
        int[] packed = new int[rows * cols / 8];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols / 8; c++) {
                int word = 0;
                for (int nibble = 0; nibble < 8; nibble++) {
                    word |= values[r * cols + c * 8 + ORDER[nibble]] << (4 * nibble);
                }
                packed[r * cols / 8 + c] = word;
            }
        }
        return packed;
    }

    private static float[] roundedToF16(float[] values) {
        float[] rounded = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            rounded[i] = HalfFloats.fromF16(HalfFloats.toF16(values[i]));
        }
        return rounded;
    }
}
