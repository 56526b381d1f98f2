package io.tributary.model.llama;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * A deliberately naive Llama forward pass in plain Java doubles, written straight from transformers'
 * modeling_llama.py and sharing no code with the DJL implementation: it parses config.json and model.safetensors
 * (F32 only) itself and recomputes the whole sequence with loops. Slow and obviously correct.
 */
final class ReferenceLlama {

    private final int hidden;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int inter;
    private final int vocab;
    private final double eps;
    private final double theta;
    private final Map<String, float[]> w = new HashMap<>();

    ReferenceLlama(Path dir) throws IOException {
        JsonNode c = new ObjectMapper().readTree(dir.resolve("config.json"));
        hidden = c.get("hidden_size").asInt();
        layers = c.get("num_hidden_layers").asInt();
        heads = c.get("num_attention_heads").asInt();
        kvHeads = c.get("num_key_value_heads").asInt();
        headDim = hidden / heads;
        inter = c.get("intermediate_size").asInt();
        vocab = c.get("vocab_size").asInt();
        eps = c.get("rms_norm_eps").asDouble();
        theta = c.get("rope_theta").asDouble();
        byte[] file = Files.readAllBytes(dir.resolve("model.safetensors"));
        ByteBuffer buf = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen = (int) buf.getLong(0);
        JsonNode header = new ObjectMapper().readTree(new String(file, 8, headerLen, StandardCharsets.UTF_8));
        for (var e : header.properties()) {
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            int begin = e.getValue().get("data_offsets").get(0).asInt();
            int end = e.getValue().get("data_offsets").get(1).asInt();
            float[] values = new float[(end - begin) / 4];
            for (int i = 0; i < values.length; i++) {
                values[i] = buf.getFloat(8 + headerLen + begin + 4 * i);
            }
            w.put(e.getKey(), values);
        }
        if (!w.containsKey("lm_head.weight")) {
            w.put("lm_head.weight", w.get("model.embed_tokens.weight"));
        }
    }

    /** log p(next | tokens[0..t]) for every t: [T][vocab]. */
    double[][] logProbs(int[] tokens) {
        int n = tokens.length;
        double[][] x = new double[n][hidden];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < hidden; i++) {
                x[t][i] = w.get("model.embed_tokens.weight")[tokens[t] * hidden + i];
            }
        }
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            double[][] attnOut = new double[n][];
            double[][][] q = new double[n][][];
            double[][][] k = new double[n][][];
            double[][][] v = new double[n][][];
            for (int t = 0; t < n; t++) {
                double[] h = rmsNorm(x[t], w.get(p + "input_layernorm.weight"));
                q[t] = rope(split(matVec(w.get(p + "self_attn.q_proj.weight"), h, heads * headDim), heads), t);
                k[t] = rope(split(matVec(w.get(p + "self_attn.k_proj.weight"), h, kvHeads * headDim), kvHeads), t);
                v[t] = split(matVec(w.get(p + "self_attn.v_proj.weight"), h, kvHeads * headDim), kvHeads);
            }
            for (int t = 0; t < n; t++) {
                double[] concat = new double[heads * headDim];
                for (int head = 0; head < heads; head++) {
                    int kvHead = head / (heads / kvHeads);
                    double[] scores = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = 0; s <= t; s++) {
                        double dot = 0;
                        for (int d = 0; d < headDim; d++) {
                            dot += q[t][head][d] * k[s][kvHead][d];
                        }
                        scores[s] = dot / Math.sqrt(headDim);
                        max = Math.max(max, scores[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s <= t; s++) {
                        scores[s] = Math.exp(scores[s] - max);
                        sum += scores[s];
                    }
                    for (int s = 0; s <= t; s++) {
                        for (int d = 0; d < headDim; d++) {
                            concat[head * headDim + d] += scores[s] / sum * v[s][kvHead][d];
                        }
                    }
                }
                attnOut[t] = matVec(w.get(p + "self_attn.o_proj.weight"), concat, hidden);
            }
            for (int t = 0; t < n; t++) {
                for (int i = 0; i < hidden; i++) {
                    x[t][i] += attnOut[t][i];
                }
                double[] h = rmsNorm(x[t], w.get(p + "post_attention_layernorm.weight"));
                double[] gate = matVec(w.get(p + "mlp.gate_proj.weight"), h, inter);
                double[] up = matVec(w.get(p + "mlp.up_proj.weight"), h, inter);
                double[] act = new double[inter];
                for (int i = 0; i < inter; i++) {
                    act[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
                }
                double[] down = matVec(w.get(p + "mlp.down_proj.weight"), act, hidden);
                for (int i = 0; i < hidden; i++) {
                    x[t][i] += down[i];
                }
            }
        }
        double[][] out = new double[n][];
        for (int t = 0; t < n; t++) {
            double[] logits = matVec(w.get("lm_head.weight"), rmsNorm(x[t], w.get("model.norm.weight")), vocab);
            double max = Double.NEGATIVE_INFINITY;
            for (double logit : logits) {
                max = Math.max(max, logit);
            }
            double sum = 0;
            for (double logit : logits) {
                sum += Math.exp(logit - max);
            }
            double logSum = max + Math.log(sum);
            for (int i = 0; i < vocab; i++) {
                logits[i] -= logSum;
            }
            out[t] = logits;
        }
        return out;
    }

    private double[] rmsNorm(double[] x, float[] weight) {
        double meanSquare = 0;
        for (double value : x) {
            meanSquare += value * value;
        }
        meanSquare /= x.length;
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] / Math.sqrt(meanSquare + eps) * weight[i];
        }
        return out;
    }

    /** weight is [rows, x.length] row-major, as nn.Linear stores it. */
    private static double[] matVec(float[] weight, double[] x, int rows) {
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int c = 0; c < x.length; c++) {
                sum += weight[r * x.length + c] * x[c];
            }
            out[r] = sum;
        }
        return out;
    }

    private double[][] split(double[] flat, int count) {
        double[][] out = new double[count][headDim];
        for (int h = 0; h < count; h++) {
            System.arraycopy(flat, h * headDim, out[h], 0, headDim);
        }
        return out;
    }

    /** Pairs dimension i with i + headDim/2, angle = position * theta^(-2i/headDim). */
    private double[][] rope(double[][] perHead, int position) {
        int half = headDim / 2;
        double[][] out = new double[perHead.length][headDim];
        for (int h = 0; h < perHead.length; h++) {
            for (int i = 0; i < half; i++) {
                double angle = position * Math.pow(theta, -2.0 * i / headDim);
                double a = perHead[h][i];
                double b = perHead[h][i + half];
                out[h][i] = a * Math.cos(angle) - b * Math.sin(angle);
                out[h][i + half] = b * Math.cos(angle) + a * Math.sin(angle);
            }
        }
        return out;
    }
}
