package io.tributary.tools.router;

import io.tributary.routing.router.ClusterModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Splits a training set by cluster, as the paper does: each sample goes to the cluster whose centroid has the
 * highest cosine with its image's feature (the router's own hard choice, not the balanced labels); samples without
 * an image are dropped. Writes {@code cluster-k/<dataset file name>} in the dataset's own format.
 */
@Command(
        name = "partition",
        mixinStandardHelpOptions = true,
        description = "Split a LLaVA .json or InternVL .jsonl dataset into one file per cluster.")
final class PartitionCommand implements Callable<Integer> {

    @Option(names = "--dataset", required = true, description = "The dataset (.json or .jsonl).")
    Path dataset;

    @Option(names = "--features", required = true, description = "Features of its images, from 'features'.")
    Path features;

    @Mixin
    ClusterFiles clusterFiles;

    @Option(
            names = {"-o", "--out"},
            required = true,
            description = "Output directory.")
    Path out;

    @Override
    public Integer call() throws IOException {
        ClusterModel model = clusterFiles.read();
        Map<String, float[]> byPath = FeatureTable.read(features).byPath();
        if (byPath.isEmpty()) {
            throw new IllegalArgumentException(features + " names no images: partition needs features with "
                    + "image paths (.safetensors or .npz from 'features')");
        }
        List<List<Datasets.Sample>> parts = new ArrayList<>();
        for (int k = 0; k < model.clusters(); k++) {
            parts.add(new ArrayList<>());
        }
        int withoutImage = 0;
        int withoutFeature = 0;
        for (Datasets.Sample sample : Datasets.read(dataset)) {
            if (sample.images().isEmpty()) {
                withoutImage++;
                continue;
            }
            if (!byPath.keySet().containsAll(sample.images())) {
                withoutFeature++;
                continue;
            }
            float[][] rows = sample.images().stream().map(byPath::get).toArray(float[][]::new);
            parts.get(ClusterCommand.labels(model, new float[][] {mean(rows)})[0])
                    .add(sample);
        }
        if (parts.stream().allMatch(List::isEmpty)) {
            throw new IllegalArgumentException("no sample of " + dataset + " has its images' features in " + features
                    + ": were they computed for this dataset?");
        }
        String name = dataset.getFileName().toString();
        for (int k = 0; k < parts.size(); k++) {
            Path file = out.resolve("cluster-" + k).resolve(name);
            Datasets.write(file, parts.get(k), Datasets.isJsonLines(dataset));
            System.err.printf(
                    Locale.ROOT,
                    "cluster %d: %d samples -> %s%n",
                    k,
                    parts.get(k).size(),
                    file);
        }
        System.err.printf(Locale.ROOT, "%d samples without an image dropped%n", withoutImage);
        if (withoutFeature > 0) {
            System.err.printf(
                    Locale.ROOT,
                    "%d samples dropped: an image of theirs has no feature in %s (unreadable "
                            + "when 'features' ran, or not embedded)%n",
                    withoutFeature,
                    features);
        }
        return 0;
    }

    /** Several images: the mean of their features, as the router means a prompt's images. */
    private static float[] mean(float[][] rows) {
        return rows.length == 1 ? rows[0] : GlobalMean.mean(rows);
    }
}
