package io.tributary.model.llava;

import io.tributary.model.clip.ReferenceClip;
import io.tributary.model.llama.ReferenceLlama;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * LLaVA in plain Java doubles, written from transformers' modeling_llava.py with loops and sharing nothing with the
 * DJL path: {@link ReferenceClip} for the tower, exact GELU through its own erf, the placeholder expansion and
 * splice position by position, then {@link ReferenceLlama} (also plain loops) for the decoder. Reads llava-hf's legacy key layout, F32 only.
 */
final class ReferenceLlava {

    private final Map<String, float[]> w;
    private final JsonNode config;
    final ReferenceLlama decoder;
    private final ReferenceClip clip;
    private final int layers;
    private final int textHidden;
    final int imageToken;

    ReferenceLlava(Path dir) throws IOException {
        config = new ObjectMapper().readTree(dir.resolve("config.json"));
        w = ReferenceLlama.readSafetensors(dir);
        decoder = new ReferenceLlama(config.get("text_config"), w, "language_model.");
        JsonNode v = config.get("vision_config");
        clip = new ReferenceClip(w, v, "vision_tower.");
        layers = v.get("num_hidden_layers").asInt();
        textHidden = config.get("text_config").get("hidden_size").asInt();
        imageToken = config.get("image_token_index").asInt();
    }

    /** hidden_states of CLIPVisionTransformer: [layers + 1][1 + patches][e], entry 0 after pre_layrnorm. */
    double[][][] clipHiddenStates(float[] pixels) {
        return clip.hiddenStates(pixels);
    }

    /** The selected layer's states without the class token ("default"), before the projector: [patches][e]. */
    double[][] selectedFeatures(float[] pixels) {
        int states = layers + 1;
        int layer = config.path("vision_feature_layer").asInt(-2);
        double[][] chosen = clipHiddenStates(pixels)[layer < 0 ? states + layer : layer];
        boolean full = config.path("vision_feature_select_strategy")
                .asString("default")
                .equals("full");
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
