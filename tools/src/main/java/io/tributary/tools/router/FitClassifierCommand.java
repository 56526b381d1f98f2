package io.tributary.tools.router;

import io.tributary.model.router.RouterArtefactsReader;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.routing.mixing.Weights;
import io.tributary.routing.router.Classifier;
import io.tributary.routing.router.ClusterModel;
import io.tributary.tools.fitting.SoftmaxRegression;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** The {@code learned} router's classifier, trained on the training features to predict their clusters. */
@Command(
        name = "classifier",
        mixinStandardHelpOptions = true,
        description = "Train the learned router's classifier on features -> cluster labels.")
final class FitClassifierCommand implements Callable<Integer> {

    @Option(names = "--features", required = true, description = "Training features ('features').")
    Path features;

    @Mixin
    ClusterFiles clusterFiles;

    @Option(names = "--epochs", defaultValue = "300")
    int epochs;

    @Option(names = "--learning-rate", defaultValue = "2.0")
    double learningRate;

    @Option(names = "--l2", defaultValue = "1e-4")
    double l2;

    @Option(
            names = {"-o", "--out"},
            required = true,
            description = "classifier.safetensors to write.")
    Path out;

    @Override
    public Integer call() throws Exception {
        ClusterModel clusters = clusterFiles.read();
        float[][] x = FeatureTable.read(features).features();
        int[] labels = ClusterCommand.labels(clusters, x);
        Classifier classifier = new SoftmaxRegression(epochs, learningRate, l2).fit(x, labels, clusters.clusters());
        int correct = 0;
        for (int i = 0; i < x.length; i++) {
            correct += Weights.argmax(classifier.logits(x[i])) == labels[i] ? 1 : 0;
        }
        float[][] w = classifier.weights().get(0);
        float[] flat = new float[w.length * w[0].length];
        for (int k = 0; k < w.length; k++) {
            System.arraycopy(w[k], 0, flat, k * w[0].length, w[0].length);
        }
        SafetensorsWriter.write(
                out,
                List.of(
                        new SafetensorsWriter.Tensor(
                                "layers.0.weight", SafetensorsDType.F32, new long[] {w.length, w[0].length}, flat),
                        new SafetensorsWriter.Tensor(
                                "layers.0.bias",
                                SafetensorsDType.F32,
                                new long[] {w.length},
                                classifier.biases().get(0))),
                Map.of(RouterArtefactsReader.NORMALIZATION_KEY, "l2"));
        System.err.printf(
                Locale.ROOT,
                "training accuracy %.4f on %d samples; wrote %s%n",
                (double) correct / x.length,
                x.length,
                out);
        System.out.println("router:\n  mode: learned\n  classifier: " + out);
        return 0;
    }
}
