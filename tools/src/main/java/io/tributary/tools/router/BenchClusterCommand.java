package io.tributary.tools.router;

import io.tributary.tools.clustering.BalancedKMeans;
import io.tributary.tools.clustering.Clustering;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;

/** How long balanced k-means takes on random unit features: the figure to compare with the paper's GPU runs. */
@Command(
        name = "bench-cluster",
        mixinStandardHelpOptions = true,
        description = "Time balanced k-means on random features (default 100,000 x 512, K = 8).")
final class BenchClusterCommand implements Callable<Integer> {

    @Option(names = "--samples", defaultValue = "100000")
    int samples;

    @Option(names = "--dimension", defaultValue = "512")
    int dimension;

    @Option(
            names = {"-k", "--clusters"},
            defaultValue = "8")
    int clusters;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Override
    public Integer call() {
        Random random = new Random(seed);
        float[][] features = new float[samples][dimension];
        for (float[] row : features) {
            for (int j = 0; j < dimension; j++) {
                row[j] = (float) random.nextGaussian();
            }
        }
        long start = System.nanoTime();
        Clustering result = new BalancedKMeans(clusters, seed).fit(features, BalancedKMeans.Progress.NONE);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
                Locale.ROOT,
                "balanced k-means of %d x %d, K = %d: %.1f s, %d iterations (%s), sizes %s, " + "%d processors%n",
                samples,
                dimension,
                clusters,
                seconds,
                result.iterations(),
                result.converged() ? "converged" : "at the limit",
                Arrays.toString(result.sizes()),
                Runtime.getRuntime().availableProcessors());
        return 0;
    }
}
