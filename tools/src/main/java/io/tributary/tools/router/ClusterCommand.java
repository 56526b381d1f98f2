package io.tributary.tools.router;

import io.tributary.model.npy.Npy;
import io.tributary.model.npy.NpyArray;
import io.tributary.model.router.RouterArtefactsReader;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.routing.mixing.Weights;
import io.tributary.routing.router.ClusterModel;
import io.tributary.tools.clustering.BalancedKMeans;
import io.tributary.tools.clustering.Clustering;
import io.tributary.tools.clustering.Cosine;
import io.tributary.tools.clustering.TwoStageClustering;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The paper's clustering of the training images: single-stage balanced k-means (cosine, auction assignment) or
 * two-stage (spherical k-means into fine clusters, balanced k-means of their centroids). Writes the paper's
 * {@code .npy} files and Tributary's {@code clusters.safetensors} (centroids, global mean, priors).
 */
@Command(
        name = "cluster",
        mixinStandardHelpOptions = true,
        description = "Balanced k-means of image features into K clusters, one per expert.")
final class ClusterCommand implements Callable<Integer> {

    @Option(names = "--features", required = true, description = "Features: .safetensors, .npz or .npy [N, d].")
    Path features;

    @Option(
            names = {"-k", "--clusters"},
            required = true,
            description = "K: the number of clusters (experts).")
    int clusters;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the initial centroids (default: 42).")
    long seed;

    @Option(names = "--iterations", defaultValue = "100", description = "Iteration limit (default: 100).")
    int iterations;

    @Option(
            names = "--two-stage",
            description =
                    "Spherical k-means into --fine-clusters first, then balanced k-means " + "of the fine centroids.")
    boolean twoStage;

    @Option(names = "--fine-clusters", defaultValue = "1024", description = "Fine clusters of --two-stage (1024).")
    int fineClusters;

    @Option(
            names = "--subtract-mean",
            description = "Cluster the unit features minus their mean (written as "
                    + "global_mean), the paper's mean-subtracted variant.")
    boolean subtractMean;

    @Option(
            names = {"-o", "--out"},
            required = true,
            description = "Output directory.")
    Path out;

    @Override
    public Integer call() throws IOException {
        FeatureTable table = FeatureTable.read(features);
        float[][] points = Cosine.normalizeRows(table.features());
        float[] mean = new float[table.dimension()];
        if (subtractMean) {
            mean = GlobalMean.mean(points);
            points = GlobalMean.minus(points, mean);
        }
        System.err.printf(
                Locale.ROOT,
                "%d features of dimension %d into %d clusters%n",
                points.length,
                table.dimension(),
                clusters);
        Files.createDirectories(out);
        long start = System.nanoTime();
        BalancedKMeans.Progress progress = (iteration, value) -> System.err.printf(
                Locale.ROOT, "\riteration %d: %s %.6g", iteration, twoStage ? "change" : "(Σ‖Δc‖)²", value);
        ClusterModel model;
        int[] trainingLabels;
        if (twoStage) {
            TwoStageClustering result =
                    TwoStageClustering.fit(points, fineClusters, clusters, seed, iterations, progress);
            write(
                    "clustering_fine_centroids.npy",
                    NpyArray.ofMatrix(result.fine().centroids()));
            write(
                    "clustering_fine_assignments.npy",
                    NpyArray.ofLongs(result.fine().assignments()));
            write(
                    "clustering_coarse_centroids.npy",
                    NpyArray.ofMatrix(result.coarse().centroids()));
            write("clustering_fine_to_coarse_mapping.npy", NpyArray.ofLongs(result.fineToCoarse()));
            model = new ClusterModel(result.fine().centroids(), mean, uniform(clusters), result.fineToCoarse(), true);
        } else {
            Clustering result =
                    new BalancedKMeans(clusters, seed, iterations, BalancedKMeans.TOLERANCE).fit(points, progress);
            System.err.printf(
                    Locale.ROOT,
                    "%n%s after %d iterations%n",
                    result.converged() ? "converged" : "stopped at the limit",
                    result.iterations());
            write("clustering_centroids.npy", NpyArray.ofMatrix(result.centroids()));
            write("clustering_assignments.npy", NpyArray.ofLongs(result.assignments()));
            model = new ClusterModel(result.centroids(), mean, uniform(clusters), identity(clusters), true);
        }
        trainingLabels = labels(model, table.features());
        double[] priors = Clustering.priors(trainingLabels, clusters);
        System.err.printf(
                Locale.ROOT,
                "%nclustered in %.1f s; the data each expert trains on (argmax cosine): %s%n",
                (System.nanoTime() - start) / 1e9,
                Arrays.toString(Clustering.sizes(trainingLabels, clusters)));
        if (subtractMean) {
            write("clustering_global_mean.npy", NpyArray.ofMatrix(new float[][] {mean}));
        }
        if (!twoStage) {
            writeClusters(model.centroids(), mean, priors);
        }
        System.out.println(manifest(priors));
        return 0;
    }

    /** The partition and the router's hard choice: the highest cosine, as the server computes it. */
    static int[] labels(ClusterModel model, float[][] features) {
        int[] labels = new int[features.length];
        for (int i = 0; i < features.length; i++) {
            labels[i] = Weights.argmax(model.cosineScores(features[i]));
        }
        return labels;
    }

    private void writeClusters(float[][] centroids, float[] mean, double[] priors) throws IOException {
        float[] flat = new float[centroids.length * mean.length];
        for (int k = 0; k < centroids.length; k++) {
            System.arraycopy(centroids[k], 0, flat, k * mean.length, mean.length);
        }
        float[] priorValues = new float[priors.length];
        for (int k = 0; k < priors.length; k++) {
            priorValues[k] = (float) priors[k];
        }
        SafetensorsWriter.write(
                out.resolve("clusters.safetensors"),
                List.of(
                        new SafetensorsWriter.Tensor(
                                "centroids", SafetensorsDType.F32, new long[] {centroids.length, mean.length}, flat),
                        new SafetensorsWriter.Tensor(
                                "global_mean", SafetensorsDType.F32, new long[] {mean.length}, mean),
                        new SafetensorsWriter.Tensor(
                                "priors", SafetensorsDType.F32, new long[] {priors.length}, priorValues)),
                Map.of(RouterArtefactsReader.NORMALIZATION_KEY, "l2"));
        System.err.println("wrote " + out.resolve("clusters.safetensors"));
    }

    private String manifest(double[] priors) {
        StringBuilder yaml = new StringBuilder("router:                 # for the mixture manifest\n  mode: hard\n");
        if (twoStage) {
            yaml.append("  centroids: ")
                    .append(out.resolve("clustering_fine_centroids.npy"))
                    .append('\n')
                    .append("  fine_to_coarse: ")
                    .append(out.resolve("clustering_fine_to_coarse_mapping.npy"))
                    .append('\n')
                    .append("  priors: ")
                    .append(Arrays.toString(priors))
                    .append('\n');
        } else {
            yaml.append("  centroids: ")
                    .append(out.resolve("clusters.safetensors"))
                    .append('\n');
        }
        return yaml.append("  feature_extractor: <the CLIP checkpoint the features came from>")
                .toString();
    }

    private void write(String name, NpyArray array) throws IOException {
        Npy.write(out.resolve(name), array);
        System.err.println("\nwrote " + out.resolve(name));
    }

    private static double[] uniform(int count) {
        double[] values = new double[count];
        Arrays.fill(values, 1.0 / count);
        return values;
    }

    private static int[] identity(int count) {
        int[] values = new int[count];
        Arrays.setAll(values, k -> k);
        return values;
    }
}
