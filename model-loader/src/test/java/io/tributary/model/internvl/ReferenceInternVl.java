package io.tributary.model.internvl;

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
 * A deliberately naive InternVL vision path in plain Java doubles, written from OpenGVLab's modeling_intern_vit.py
 * and modeling_internvl_chat.py ({@code extract_feature}, {@code pixel_shuffle}, {@code mlp1}) and sharing no code
 * with the DJL implementation: it parses config.json and model.safetensors (original layout, F32) itself, runs the
 * convolution, attention and norms as loops, and emulates pixel shuffle's view/permute steps literally.
 */
final class ReferenceInternVl {

    private final int hidden;
    private final int heads;
    private final int inter;
    private final int patch;
    private final int image;
    private final int layers;
    private final int selectLayer;
    private final double eps;
    private final boolean quickGelu;
    private final boolean v2;
    private final Map<String, float[]> w = new HashMap<>();

    ReferenceInternVl(Path dir) throws IOException {
        JsonNode c = new ObjectMapper().readTree(dir.resolve("config.json"));
        JsonNode v = c.get("vision_config");
        hidden = v.get("hidden_size").asInt();
        heads = v.get("num_attention_heads").asInt();
        inter = v.get("intermediate_size").asInt();
        patch = v.get("patch_size").asInt();
        image = c.get("force_image_size").asInt();
        layers = v.get("num_hidden_layers").asInt();
        eps = v.get("layer_norm_eps").asDouble();
        quickGelu = v.get("hidden_act").asString().equals("quick_gelu");
        selectLayer = c.get("select_layer").asInt();
        v2 = c.get("ps_version").asString().equals("v2");
        byte[] file = Files.readAllBytes(dir.resolve("model.safetensors"));
        ByteBuffer buf = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen = (int) buf.getLong(0);
        JsonNode header = new ObjectMapper().readTree(new String(file, 8, headerLen, StandardCharsets.UTF_8));
        for (var e : header.properties()) {
            if (!e.getKey().equals("__metadata__")) {
                int begin = e.getValue().get("data_offsets").get(0).asInt();
                int end = e.getValue().get("data_offsets").get(1).asInt();
                float[] values = new float[(end - begin) / 4];
                for (int i = 0; i < values.length; i++) {
                    values[i] = buf.getFloat(8 + headerLen + begin + 4 * i);
                }
                w.put(e.getKey(), values);
            }
        }
    }

    /** The image tokens of one tile [tokens][llm hidden]: extract_feature. */
    double[][] features(float[] pixels) {
        double[][] x = embed(pixels);
        int run = selectLayer < 0 ? layers + 1 + selectLayer : selectLayer;
        for (int l = 0; l < run; l++) {
            x = layer(x, l);
        }
        double[][] patches = new double[x.length - 1][];
        System.arraycopy(x, 1, patches, 0, patches.length);
        return project(pixelShuffle(patches));
    }

    /** Conv2d(3, H, kernel P, stride P) with bias, flatten, class token, position embedding: [N + 1][H]. */
    double[][] embed(float[] pixels) {
        int g = image / patch;
        float[] kernel = w.get("vision_model.embeddings.patch_embedding.weight");
        float[] bias = w.get("vision_model.embeddings.patch_embedding.bias");
        float[] cls = w.get("vision_model.embeddings.class_embedding");
        float[] pos = w.get("vision_model.embeddings.position_embedding");
        double[][] out = new double[g * g + 1][hidden];
        for (int o = 0; o < hidden; o++) {
            out[0][o] = cls[o] + pos[o];
            for (int gy = 0; gy < g; gy++) {
                for (int gx = 0; gx < g; gx++) {
                    double acc = bias[o];
                    for (int ch = 0; ch < 3; ch++) {
                        for (int ky = 0; ky < patch; ky++) {
                            for (int kx = 0; kx < patch; kx++) {
                                acc += kernel[((o * 3 + ch) * patch + ky) * patch + kx]
                                        * pixels[(ch * image + gy * patch + ky) * image + gx * patch + kx];
                            }
                        }
                    }
                    int token = 1 + gy * g + gx;
                    out[token][o] = acc + pos[token * hidden + o];
                }
            }
        }
        return out;
    }

    /** InternVisionEncoderLayer: x + attn(norm1(x)) * ls1, then + mlp(norm2(x)) * ls2. */
    double[][] layer(double[][] x, int l) {
        String p = "vision_model.encoder.layers." + l + ".";
        double[][] attn = attention(layerNorm(x, w.get(p + "norm1.weight"), w.get(p + "norm1.bias"), eps), l);
        double[][] y = new double[x.length][hidden];
        for (int t = 0; t < x.length; t++) {
            for (int i = 0; i < hidden; i++) {
                y[t][i] = x[t][i] + attn[t][i] * w.get(p + "ls1")[i];
            }
        }
        double[][] h = linear(
                layerNorm(y, w.get(p + "norm2.weight"), w.get(p + "norm2.bias"), eps),
                w.get(p + "mlp.fc1.weight"),
                w.get(p + "mlp.fc1.bias"),
                inter);
        for (double[] row : h) {
            for (int i = 0; i < row.length; i++) {
                row[i] = quickGelu ? row[i] / (1 + Math.exp(-1.702 * row[i])) : gelu(row[i]);
            }
        }
        double[][] m = linear(h, w.get(p + "mlp.fc2.weight"), w.get(p + "mlp.fc2.bias"), hidden);
        for (int t = 0; t < x.length; t++) {
            for (int i = 0; i < hidden; i++) {
                y[t][i] += m[t][i] * w.get(p + "ls2")[i];
            }
        }
        return y;
    }

    /** InternAttention._naive_attn, without the layer scale: proj(softmax(q k^T / sqrt(D)) v). */
    double[][] attention(double[][] h, int l) {
        String p = "vision_model.encoder.layers." + l + ".attn.";
        int n = h.length;
        int d = hidden / heads;
        double[][] qkv = linear(h, w.get(p + "qkv.weight"), w.get(p + "qkv.bias"), 3 * hidden);
        double[][] context = new double[n][hidden];
        for (int head = 0; head < heads; head++) {
            for (int i = 0; i < n; i++) {
                double[] scores = new double[n];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    double dot = 0;
                    for (int k = 0; k < d; k++) {
                        dot += qkv[i][head * d + k] * qkv[j][hidden + head * d + k];
                    }
                    scores[j] = dot / Math.sqrt(d);
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int j = 0; j < n; j++) {
                    for (int k = 0; k < d; k++) {
                        context[i][head * d + k] += scores[j] / sum * qkv[j][2 * hidden + head * d + k];
                    }
                }
            }
        }
        return linear(context, w.get(p + "proj.weight"), w.get(p + "proj.bias"), hidden);
    }

    /** pixel_shuffle(scale 0.5) on [G*G][C], emulating each view (a no-op on row-major data) and permute. */
    double[][] pixelShuffle(double[][] patches) {
        int g = (int) Math.round(Math.sqrt(patches.length));
        int c = patches[0].length;
        double[] flat = new double[g * g * c];
        for (int t = 0; t < patches.length; t++) {
            System.arraycopy(patches[t], 0, flat, t * c, c);
        }
        // view(n, w, h/2, 2c), permute(0, 2, 1, 3)
        flat = swapFirstTwoAxes(flat, g, g / 2, 2 * c);
        // view(n, h/2, w/2, 4c); v2: permute(0, 2, 1, 3)
        if (v2) {
            flat = swapFirstTwoAxes(flat, g / 2, g / 2, 4 * c);
        }
        double[][] out = new double[g * g / 4][4 * c];
        for (int t = 0; t < out.length; t++) {
            System.arraycopy(flat, t * 4 * c, out[t], 0, 4 * c);
        }
        return out;
    }

    /** Row-major [a][b][c] to [b][a][c]. */
    private static double[] swapFirstTwoAxes(double[] in, int a, int b, int c) {
        double[] out = new double[in.length];
        for (int i = 0; i < a; i++) {
            for (int j = 0; j < b; j++) {
                System.arraycopy(in, (i * b + j) * c, out, (j * a + i) * c, c);
            }
        }
        return out;
    }

    /** mlp1: LayerNorm(eps 1e-5), Linear, GELU, Linear. */
    double[][] project(double[][] tokens) {
        double[][] h = linear(
                layerNorm(tokens, w.get("mlp1.0.weight"), w.get("mlp1.0.bias"), 1e-5),
                w.get("mlp1.1.weight"),
                w.get("mlp1.1.bias"),
                w.get("mlp1.1.bias").length);
        for (double[] row : h) {
            for (int i = 0; i < row.length; i++) {
                row[i] = gelu(row[i]);
            }
        }
        return linear(h, w.get("mlp1.3.weight"), w.get("mlp1.3.bias"), w.get("mlp1.3.bias").length);
    }

    float[] weight(String name) {
        return w.get(name);
    }

    private static double[][] layerNorm(double[][] x, float[] gamma, float[] beta, double eps) {
        double[][] out = new double[x.length][x[0].length];
        for (int t = 0; t < x.length; t++) {
            double mean = 0;
            for (double v : x[t]) {
                mean += v;
            }
            mean /= x[t].length;
            double var = 0;
            for (double v : x[t]) {
                var += (v - mean) * (v - mean);
            }
            var /= x[t].length;
            for (int i = 0; i < x[t].length; i++) {
                out[t][i] = (x[t][i] - mean) / Math.sqrt(var + eps) * gamma[i] + beta[i];
            }
        }
        return out;
    }

    private static double[][] linear(double[][] x, float[] weight, float[] bias, int outDim) {
        int in = x[0].length;
        double[][] out = new double[x.length][outDim];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < outDim; o++) {
                double acc = bias[o];
                for (int i = 0; i < in; i++) {
                    acc += weight[o * in + i] * x[t][i];
                }
                out[t][o] = acc;
            }
        }
        return out;
    }

    /** Exact GELU, x * Phi(x), with erf from its Taylor series (|z| <= 3) or asymptotic expansion. */
    static double gelu(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    static double erf(double z) {
        double a = Math.abs(z);
        double result;
        if (a <= 3) {
            double term = a;
            double sum = a;
            for (int n = 1; n < 80; n++) {
                term *= -a * a / n;
                sum += term / (2 * n + 1);
            }
            result = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            double z2 = a * a;
            double series = 1 - 1 / (2 * z2) + 3 / (4 * z2 * z2) - 15 / (8 * z2 * z2 * z2);
            result = 1 - Math.exp(-z2) / (a * Math.sqrt(Math.PI)) * series;
        }
        return Math.copySign(result, z);
    }
}
