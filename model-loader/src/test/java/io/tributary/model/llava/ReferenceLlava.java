package io.tributary.model.llava;

import io.tributary.model.llama.ReferenceLlama;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * LLaVA in plain Java doubles, written from transformers' modeling_llava.py and modeling_clip.py with loops and
 * sharing nothing with the DJL path: conv patch embedding as a literal strided convolution, CLIP attention head by
 * head, exact GELU through its own erf, the placeholder expansion and splice position by position, then
 * {@link ReferenceLlama} (also plain loops) for the decoder. Reads llava-hf's legacy key layout, F32 only.
 */
final class ReferenceLlava {

    private final Map<String, float[]> w;
    private final JsonNode config;
    final ReferenceLlama decoder;
    private final int e; // vision hidden size
    private final int heads;
    private final int layers;
    private final int image;
    private final int patch;
    private final int channels;
    private final int inter;
    private final double eps;
    private final int textHidden;
    final int imageToken;

    ReferenceLlava(Path dir) throws IOException {
        config = new ObjectMapper().readTree(dir.resolve("config.json"));
        w = ReferenceLlama.readSafetensors(dir);
        decoder = new ReferenceLlama(config.get("text_config"), w, "language_model.");
        JsonNode v = config.get("vision_config");
        e = v.get("hidden_size").asInt();
        heads = v.get("num_attention_heads").asInt();
        layers = v.get("num_hidden_layers").asInt();
        image = v.get("image_size").asInt();
        patch = v.get("patch_size").asInt();
        channels = v.path("num_channels").asInt(3);
        inter = v.get("intermediate_size").asInt();
        eps = v.path("layer_norm_eps").asDouble(1e-5);
        textHidden = config.get("text_config").get("hidden_size").asInt();
        imageToken = config.get("image_token_index").asInt();
    }

    /** hidden_states of CLIPVisionTransformer: [layers + 1][1 + patches][e], entry 0 after pre_layrnorm. */
    double[][][] clipHiddenStates(float[] pixels) {
        String p = "vision_tower.vision_model.";
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

    /** The selected layer's states without the class token ("default"), before the projector: [patches][e]. */
    double[][] selectedFeatures(float[] pixels) {
        int states = layers + 1;
        int layer = config.path("vision_feature_layer").asInt(-2);
        double[][] chosen = clipHiddenStates(pixels)[layer < 0 ? states + layer : layer];
        boolean full = config.path("vision_feature_select_strategy").asString("default").equals("full");
        List<double[]> rows = new ArrayList<>();
        for (int t = full ? 0 : 1; t < chosen.length; t++) {
            rows.add(chosen[t]);
        }
        return rows.toArray(double[][]::new);
    }

    /** linear_2(gelu(linear_1(features))), exact GELU. */
    double[][] projected(float[] pixels) {
        double[][] features = selectedFeatures(pixels);
        double[][] out = new double[features.length][];
        for (int t = 0; t < features.length; t++) {
            double[] h = linear("multi_modal_projector.linear_1", features[t], textHidden);
            for (int i = 0; i < h.length; i++) {
                h[i] = 0.5 * h[i] * (1 + erf(h[i] / Math.sqrt(2)));
            }
            out[t] = linear("multi_modal_projector.linear_2", h, textHidden);
        }
        return out;
    }

    /** Each placeholder replaced by its image's projected rows, other tokens by their embeddings. */
    double[][] splicedEmbeddings(int[] tokens, List<float[]> images) {
        List<double[]> rows = new ArrayList<>();
        int next = 0;
        for (int token : tokens) {
            if (token == imageToken) {
                for (double[] row : projected(images.get(next++))) {
                    rows.add(row);
                }
            } else {
                rows.add(decoder.embed(token));
            }
        }
        return rows.toArray(double[][]::new);
    }

    /** log p(next | positions ≤ t) at every position of the expanded prompt followed by {@code appended}. */
    double[][] logProbs(int[] prompt, List<float[]> images, int... appended) {
        double[][] spliced = splicedEmbeddings(prompt, images);
        double[][] x = new double[spliced.length + appended.length][];
        System.arraycopy(spliced, 0, x, 0, spliced.length);
        for (int i = 0; i < appended.length; i++) {
            x[spliced.length + i] = decoder.embed(appended[i]);
        }
        return decoder.logProbsFromEmbeddings(x);
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

    /**
     * erf by the everywhere-convergent series
     * {@code erf(x) = 2/√π · e^{-x²} · Σ 2^n x^{2n+1} / (1·3·…·(2n+1))}, whose terms are all positive (no
     * cancellation); |x| ≥ 6 rounds to ±1 in double anyway.
     */
    static double erf(double x) {
        if (Math.abs(x) >= 6) {
            return Math.signum(x);
        }
        double term = x;
        double sum = x;
        for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
            term *= 2 * x * x / (2 * n + 1);
            sum += term;
        }
        return 2 / Math.sqrt(Math.PI) * Math.exp(-x * x) * sum;
    }
}
