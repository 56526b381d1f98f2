package io.tributary.model.clip;

import tools.jackson.databind.JsonNode;

import java.util.Map;

/**
 * CLIP's vision transformer in plain Java doubles, written from transformers' modeling_clip.py with loops and
 * sharing nothing with the DJL path: conv patch embedding as a literal strided convolution, attention head by head,
 * quick_gelu. Serves LLaVA's reference (hidden states) and the router's (the projected image embedding). F32 only.
 */
public final class ReferenceClip {

    private final Map<String, float[]> w;
    private final String prefix;
    private final int e;
    private final int heads;
    private final int layers;
    private final int image;
    private final int patch;
    private final int channels;
    private final int inter;
    private final double eps;

    /** @param prefix where the tower's {@code vision_model.*} keys start: {@code vision_tower.} in LLaVA, empty in CLIP */
    public ReferenceClip(Map<String, float[]> weights, JsonNode visionConfig, String prefix) {
        this.w = weights;
        this.prefix = prefix;
        JsonNode v = visionConfig;
        e = v.get("hidden_size").asInt();
        heads = v.get("num_attention_heads").asInt();
        layers = v.get("num_hidden_layers").asInt();
        image = v.get("image_size").asInt();
        patch = v.get("patch_size").asInt();
        channels = v.path("num_channels").asInt(3);
        inter = v.get("intermediate_size").asInt();
        eps = v.path("layer_norm_eps").asDouble(1e-5);
    }

    /** hidden_states of CLIPVisionTransformer: [layers + 1][1 + patches][e], entry 0 after pre_layrnorm. */
    public double[][][] hiddenStates(float[] pixels) {
        String p = prefix + "vision_model.";
        int side = image / patch;
        double[][] x = new double[1 + side * side][e];
        float[] conv = w.get(p + "embeddings.patch_embedding.weight"); // [e][c][ky][kx]
        float[] cls = w.get(p + "embeddings.class_embedding");
        float[] pos = w.get(p + "embeddings.position_embedding.weight");
        for (int o = 0; o < e; o++) {
            x[0][o] = cls[o] + pos[o];
        }
        for (int py = 0; py < side; py++) {
            for (int px = 0; px < side; px++) {
                int token = 1 + py * side + px;
                for (int o = 0; o < e; o++) {
                    double sum = 0;
                    for (int c = 0; c < channels; c++) {
                        for (int ky = 0; ky < patch; ky++) {
                            for (int kx = 0; kx < patch; kx++) {
                                double pixel = pixels[(c * image + py * patch + ky) * image + px * patch + kx];
                                sum += conv[((o * channels + c) * patch + ky) * patch + kx] * pixel;
                            }
                        }
                    }
                    x[token][o] = sum + pos[token * e + o];
                }
            }
        }
        double[][][] states = new double[layers + 1][][];
        x = layerNormAll(x, p + "pre_layrnorm");
        states[0] = x;
        for (int l = 0; l < layers; l++) {
            String q = p + "encoder.layers." + l + ".";
            double[][] attn = attention(layerNormAll(x, q + "layer_norm1"), q + "self_attn.");
            double[][] next = new double[x.length][e];
            for (int t = 0; t < x.length; t++) {
                for (int i = 0; i < e; i++) {
                    next[t][i] = x[t][i] + attn[t][i];
                }
                double[] h = layerNorm(next[t], q + "layer_norm2");
                double[] fc1 = linear(q + "mlp.fc1", h, inter);
                for (int i = 0; i < inter; i++) {
                    fc1[i] = fc1[i] / (1 + Math.exp(-1.702 * fc1[i])); // quick_gelu
                }
                double[] fc2 = linear(q + "mlp.fc2", fc1, e);
                for (int i = 0; i < e; i++) {
                    next[t][i] += fc2[i];
                }
            }
            x = next;
            states[l + 1] = x;
        }
        return states;
    }

    private double[][] attention(double[][] h, String p) {
        int n = h.length;
        int d = e / heads;
        double[][] q = new double[n][];
        double[][] k = new double[n][];
        double[][] v = new double[n][];
        for (int t = 0; t < n; t++) {
            q[t] = linear(p + "q_proj", h[t], e);
            k[t] = linear(p + "k_proj", h[t], e);
            v[t] = linear(p + "v_proj", h[t], e);
        }
        double[][] out = new double[n][];
        for (int t = 0; t < n; t++) {
            double[] merged = new double[e];
            for (int head = 0; head < heads; head++) {
                double[] scores = new double[n];
                double max = Double.NEGATIVE_INFINITY;
                for (int s = 0; s < n; s++) {
                    for (int i = 0; i < d; i++) {
                        scores[s] += q[t][head * d + i] * k[s][head * d + i];
                    }
                    scores[s] /= Math.sqrt(d);
                    max = Math.max(max, scores[s]);
                }
                double sum = 0;
                for (int s = 0; s < n; s++) {
                    scores[s] = Math.exp(scores[s] - max);
                    sum += scores[s];
                }
                for (int s = 0; s < n; s++) {
                    for (int i = 0; i < d; i++) {
                        merged[head * d + i] += scores[s] / sum * v[s][head * d + i];
                    }
                }
            }
            out[t] = linear(p + "out_proj", merged, e);
        }
        return out;
    }

    /** get_image_features: post_layernorm of the last layer's class token, times visual_projection (no bias). */
    public double[] imageEmbeds(float[] pixels) {
        double[][][] states = hiddenStates(pixels);
        double[] pooled = layerNorm(states[layers][0], prefix + "vision_model.post_layernorm");
        float[] projection = w.get(prefix + "visual_projection.weight");
        double[] out = new double[projection.length / e];
        for (int r = 0; r < out.length; r++) {
            for (int c = 0; c < e; c++) {
                out[r] += projection[r * e + c] * pooled[c];
            }
        }
        return out;
    }

    private double[][] layerNormAll(double[][] x, String name) {
        double[][] out = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            out[t] = layerNorm(x[t], name);
        }
        return out;
    }

    private double[] layerNorm(double[] x, String name) {
        double mean = 0;
        for (double value : x) {
            mean += value / x.length;
        }
        double variance = 0;
        for (double value : x) {
            variance += (value - mean) * (value - mean) / x.length;
        }
        float[] gamma = w.get(name + ".weight");
        float[] beta = w.get(name + ".bias");
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (x[i] - mean) / Math.sqrt(variance + eps) * gamma[i] + beta[i];
        }
        return out;
    }

    private double[] linear(String name, double[] x, int rows) {
        float[] weight = w.get(name + ".weight");
        float[] bias = w.get(name + ".bias");
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double sum = bias == null ? 0 : bias[r];
            for (int c = 0; c < x.length; c++) {
                sum += weight[r * x.length + c] * x[c];
            }
            out[r] = sum;
        }
        return out;
    }
}
