package io.tributary.tools.clustering;

import java.util.LinkedHashSet;
import java.util.Random;
import java.util.Set;

/**
 * Balanced k-means with cosine distance, as the paper clusters its training images: K distinct random points as
 * the first centroids; each iteration assigns the points by {@link BalancedAssignment} (⌊N/K⌋ per cluster) on their
 * cosine to the centroids, and moves each centroid to the plain mean of its points (not re-normalised); it stops
 * when (Σ_k ‖Δc_k‖)² &lt; tolerance or after the iteration limit. The final labels are a balanced assignment to the
 * final centroids.
 */
public final class BalancedKMeans {

    /** The paper's stopping threshold on (Σ_k ‖Δc_k‖)². */
    public static final double TOLERANCE = 1e-3;

    public static final int MAX_ITERATIONS = 100;
    /** Final ε of the auction: cosines lie in [−1, 1], so this is far below any difference that matters. */
    public static final double AUCTION_EPSILON = 1e-6;

    /** Told after each iteration, e.g. to show progress. */
    @FunctionalInterface
    public interface Progress {
        void iteration(int iteration, double shiftSquared);

        Progress NONE = (iteration, shiftSquared) -> {};
    }

    private final int clusters;
    private final long seed;
    private final int maxIterations;
    private final double tolerance;

    public BalancedKMeans(int clusters, long seed, int maxIterations, double tolerance) {
        if (clusters < 1 || maxIterations < 1 || !(tolerance >= 0)) {
            throw new IllegalArgumentException("need clusters >= 1, maxIterations >= 1 and tolerance >= 0");
        }
        this.clusters = clusters;
        this.seed = seed;
        this.maxIterations = maxIterations;
        this.tolerance = tolerance;
    }

    public BalancedKMeans(int clusters, long seed) {
        this(clusters, seed, MAX_ITERATIONS, TOLERANCE);
    }

    /** @param features [N][d], N ≥ K; normalised here, as the paper does before clustering */
    public Clustering fit(float[][] features, Progress progress) {
        float[][] points = Cosine.normalizeRows(features);
        float[][] centroids = initialCentroids(points, clusters, new Random(seed));
        int iteration = 0;
        boolean converged = false;
        BalancedAssignment.Prices prices = new BalancedAssignment.Prices();
        while (!converged && iteration < maxIterations) {
            int[] labels =
                    BalancedAssignment.solve(Cosine.similarities(points, centroids), clusters, AUCTION_EPSILON, prices);
            float[][] moved = means(points, labels, clusters);
            double shift = 0;
            for (int k = 0; k < clusters; k++) {
                shift += distance(moved[k], centroids[k]);
            }
            centroids = moved;
            iteration++;
            progress.iteration(iteration, shift * shift);
            converged = shift * shift < tolerance;
        }
        int[] labels =
                BalancedAssignment.solve(Cosine.similarities(points, centroids), clusters, AUCTION_EPSILON, prices);
        return new Clustering(centroids, labels, iteration, converged);
    }

    /** K distinct points drawn at random (Floyd's algorithm), in the order drawn. */
    static float[][] initialCentroids(float[][] points, int clusters, Random random) {
        if (points.length < clusters) {
            throw new IllegalArgumentException("cannot make " + clusters + " clusters of " + points.length + " points");
        }
        Set<Integer> chosen = new LinkedHashSet<>();
        for (int j = points.length - clusters; j < points.length; j++) {
            int candidate = random.nextInt(j + 1);
            chosen.add(chosen.contains(candidate) ? j : candidate);
        }
        return chosen.stream().map(i -> points[i].clone()).toArray(float[][]::new);
    }

    /** The mean of each cluster's points; an empty cluster keeps no centroid (null). */
    static float[][] means(float[][] points, int[] labels, int clusters) {
        int dimension = points[0].length;
        double[][] sums = new double[clusters][dimension];
        int[] counts = new int[clusters];
        for (int i = 0; i < points.length; i++) {
            double[] sum = sums[labels[i]];
            float[] point = points[i];
            for (int j = 0; j < dimension; j++) {
                sum[j] += point[j];
            }
            counts[labels[i]]++;
        }
        float[][] means = new float[clusters][];
        for (int k = 0; k < clusters; k++) {
            if (counts[k] > 0) {
                means[k] = new float[dimension];
                for (int j = 0; j < dimension; j++) {
                    means[k][j] = (float) (sums[k][j] / counts[k]);
                }
            }
        }
        return means;
    }

    static double distance(float[] a, float[] b) {
        double sum = 0;
        for (int j = 0; j < a.length; j++) {
            double difference = (double) a[j] - b[j];
            sum += difference * difference;
        }
        return Math.sqrt(sum);
    }
}
