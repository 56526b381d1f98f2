package io.tributary.tools.fitting;

import io.tributary.routing.router.Classifier;

import java.util.List;
import java.util.stream.IntStream;

/**
 * Trains the {@code learned} router's classifier: one linear layer, logits = W·f + b, fitted by full-batch gradient
 * descent on the mean cross-entropy of the cluster labels with a small L2 penalty on W (the loss is convex, so
 * plain descent with a fixed step converges). Inputs are L2-normalised, as the paper's features are, and the
 * classifier says so, so that serving normalises the same way.
 */
public final class SoftmaxRegression {

    private final int epochs;
    private final double learningRate;
    private final double l2;

    public SoftmaxRegression(int epochs, double learningRate, double l2) {
        if (epochs < 1 || !(learningRate > 0) || !(l2 >= 0)) {
            throw new IllegalArgumentException("need epochs >= 1, learningRate > 0 and l2 >= 0");
        }
        this.epochs = epochs;
        this.learningRate = learningRate;
        this.l2 = l2;
    }

    /** @param features [N][d], normalised here; @param labels [N] in [0, classes) */
    public Classifier fit(float[][] features, int[] labels, int classes) {
        float[][] x = io.tributary.tools.clustering.Cosine.normalizeRows(features);
        int dimension = x[0].length;
        double[][] weights = new double[classes][dimension];
        double[] biases = new double[classes];
        for (int epoch = 0; epoch < epochs; epoch++) {
            Gradient total = IntStream.range(0, x.length)
                    .parallel()
                    .collect(
                            () -> new Gradient(classes, dimension),
                            (sum, i) -> sum.add(x[i], labels[i], weights, biases),
                            Gradient::merge);
            for (int k = 0; k < classes; k++) {
                for (int j = 0; j < dimension; j++) {
                    weights[k][j] -= learningRate * (total.weights[k][j] / x.length + l2 * weights[k][j]);
                }
                biases[k] -= learningRate * total.biases[k] / x.length;
            }
        }
        float[][] w = new float[classes][dimension];
        float[] b = new float[classes];
        for (int k = 0; k < classes; k++) {
            for (int j = 0; j < dimension; j++) {
                w[k][j] = (float) weights[k][j];
            }
            b[k] = (float) biases[k];
        }
        return new Classifier(List.<float[][]>of(w), List.<float[]>of(b), true);
    }

    /** The summed cross-entropy gradient of some samples. */
    private static final class Gradient {
        final double[][] weights;
        final double[] biases;

        Gradient(int classes, int dimension) {
            weights = new double[classes][dimension];
            biases = new double[classes];
        }

        void add(float[] x, int label, double[][] w, double[] b) {
            int classes = b.length;
            double[] logits = new double[classes];
            for (int k = 0; k < classes; k++) {
                double sum = b[k];
                for (int j = 0; j < x.length; j++) {
                    sum += w[k][j] * x[j];
                }
                logits[k] = sum;
            }
            double normalizer = TemperatureFit.logSumExp(logits);
            for (int k = 0; k < classes; k++) {
                double error = Math.exp(logits[k] - normalizer) - (k == label ? 1 : 0);
                for (int j = 0; j < x.length; j++) {
                    weights[k][j] += error * x[j];
                }
                biases[k] += error;
            }
        }

        void merge(Gradient other) {
            for (int k = 0; k < biases.length; k++) {
                for (int j = 0; j < weights[k].length; j++) {
                    weights[k][j] += other.weights[k][j];
                }
                biases[k] += other.biases[k];
            }
        }
    }
}
