package io.tributary.model.llama;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A deliberately naive Llama forward pass in plain Java doubles, written straight from transformers'
 * modeling_llama.py (and modeling_qwen2.py: q/k/v biases) and sharing no code with the DJL implementation: it
 * parses config.json and model.safetensors (F32 only) itself and recomputes the whole sequence with loops. Slow
 * and obviously correct. Biases are used when the checkpoint has them.
 */
public final class ReferenceLlama {

    private final int hidden;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int inter;
    private final int vocab;
    private final double eps;
    private final double theta;
    private final Map<String, float[]> w;
    private final String m; // "model." or, inside a LLaVA checkpoint, "language_model.model."
    private final String lmHead;

    public ReferenceLlama(Path dir) throws IOException {
        this(new ObjectMapper().readTree(dir.resolve("config.json")), readSafetensors(dir), "");
    }

    /**
     * @param c      the decoder's config (a LLaVA checkpoint's {@code text_config})
     * @param prefix before {@code model.} and {@code lm_head.weight} in the keys ("language_model." in llava-hf)
     */
    public ReferenceLlama(JsonNode c, Map<String, float[]> weights, String prefix) {
        w = new HashMap<>(weights);
        m = prefix + "model.";
        lmHead = w.containsKey(prefix + "lm_head.weight") ? prefix + "lm_head.weight" : m + "embed_tokens.weight";
        hidden = c.get("hidden_size").asInt();
        layers = c.get("num_hidden_layers").asInt();
        heads = c.get("num_attention_heads").asInt();
        kvHeads = c.path("num_key_value_heads").asInt(heads);
        headDim = hidden / heads;
        inter = c.get("intermediate_size").asInt();
        vocab = c.get("vocab_size").asInt();
        eps = c.get("rms_norm_eps").asDouble();
        theta = c.get("rope_theta").asDouble();
    }

    /** Every F32 tensor of {@code dir/model.safetensors} by its key, read with plain byte arithmetic. */
    public static Map<String, float[]> readSafetensors(Path dir) throws IOException {
        Map<String, float[]> w = new HashMap<>();
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
        return w;
    }

    /** The embedding row of {@code token}. */
    public double[] embed(int token) {
        double[] row = new double[hidden];
        for (int i = 0; i < hidden; i++) {
            row[i] = w.get(m + "embed_tokens.weight")[token * hidden + i];
        }
        return row;
    }

    /** log p(next | tokens[0..t]) for every t: [T][vocab]. */
    public double[][] logProbs(int[] tokens) {
        double[][] x = new double[tokens.length][];
        for (int t = 0; t < tokens.length; t++) {
            x[t] = embed(tokens[t]);
        }
        return logProbsFromEmbeddings(x);
    }

    /** log p(next | positions 0..t) for every t, from input embeddings [T][hidden] (modified in place). */
    public double[][] logProbsFromEmbeddings(double[][] x) {
        int n = x.length;
        for (int l = 0; l < layers; l++) {
            String p = m + "layers." + l + ".";
            double[][] attnOut = new double[n][];
            double[][][] q = new double[n][][];
            double[][][] k = new double[n][][];
            double[][][] v = new double[n][][];
            for (int t = 0; t < n; t++) {
                double[] h = rmsNorm(x[t], w.get(p + "input_layernorm.weight"));
                q[t] = rope(split(project(p + "self_attn.q_proj", h, heads * headDim), heads), t);
                k[t] = rope(split(project(p + "self_attn.k_proj", h, kvHeads * headDim), kvHeads), t);
                v[t] = split(project(p + "self_attn.v_proj", h, kvHeads * headDim), kvHeads);
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
                attnOut[t] = project(p + "self_attn.o_proj", concat, hidden);
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
            double[] logits = matVec(w.get(lmHead), rmsNorm(x[t], w.get(m + "norm.weight")), vocab);
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

    /** nn.Linear {@code name}: its weight times x, plus its bias if the checkpoint has one. */
    private double[] project(String name, double[] x, int rows) {
        double[] out = matVec(w.get(name + ".weight"), x, rows);
        float[] bias = w.get(name + ".bias");
        for (int r = 0; bias != null && r < rows; r++) {
            out[r] += bias[r];
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
