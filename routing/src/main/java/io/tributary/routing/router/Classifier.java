package io.tributary.routing.router;

import java.util.List;

/**
 * A small multilayer perceptron over the router feature, trained with cross-entropy on the cluster labels (the
 * DDM router): linear layers with ReLU between them, the last one giving one logit per expert.
 *
 * @param weights        per layer, [out][in]
 * @param biases         per layer, [out]
 * @param normalizeInput whether the feature is L2-normalised first (the classifier was trained on unit features)
 */
public record Classifier(List<float[][]> weights, List<float[]> biases, boolean normalizeInput) {

    public Classifier(List<float[][]> weights, List<float[]> biases) {
        this(weights, biases, false);
    }

    public Classifier {
        weights = List.copyOf(weights);
        biases = List.copyOf(biases);
        if (weights.isEmpty() || weights.size() != biases.size()) {
            throw new IllegalArgumentException("a classifier needs one bias per layer and at least one layer");
        }
        for (int layer = 0; layer < weights.size(); layer++) {
            float[][] w = weights.get(layer);
            if (w.length != biases.get(layer).length) {
                throw new IllegalArgumentException(
                        "layer " + layer + ": " + w.length + " outputs but " + biases.get(layer).length + " biases");
            }
            if (layer > 0 && w[0].length != weights.get(layer - 1).length) {
                throw new IllegalArgumentException("layer " + layer + " takes " + w[0].length + " inputs but layer "
                        + (layer - 1) + " gives " + weights.get(layer - 1).length);
            }
        }
    }

    public int inputDimension() {
        return weights.get(0)[0].length;
    }

    public int outputs() {
        return weights.get(weights.size() - 1).length;
    }

    /** One logit per expert. */
    public double[] logits(float[] feature) {
        if (feature.length != inputDimension()) {
            throw new IllegalArgumentException(
                    "router feature has dimension " + feature.length + " but the classifier takes " + inputDimension());
        }
        double scale = 1;
        if (normalizeInput) {
            double norm = 0;
            for (float value : feature) {
                norm += (double) value * value;
            }
            scale = norm == 0 ? 1 : 1 / Math.sqrt(norm);
        }
        double[] activation = new double[feature.length];
        for (int i = 0; i < feature.length; i++) {
            activation[i] = feature[i] * scale;
        }
        for (int layer = 0; layer < weights.size(); layer++) {
            float[][] w = weights.get(layer);
            float[] b = biases.get(layer);
            double[] next = new double[w.length];
            for (int o = 0; o < w.length; o++) {
                double sum = b[o];
                for (int i = 0; i < activation.length; i++) {
                    sum += w[o][i] * activation[i];
                }
                next[o] = layer < weights.size() - 1 ? Math.max(0, sum) : sum;
            }
            activation = next;
        }
        return activation;
    }
}
