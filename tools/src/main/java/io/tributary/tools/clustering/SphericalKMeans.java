package io.tributary.tools.clustering;

import java.util.Arrays;
import java.util.Random;

/**
 * Spherical k-means, the fine stage of the paper's two-stage clustering: points and centroids on the unit sphere,
 * each point to its centroid of highest cosine, each centroid the normalised mean of its points. An emptied cluster
 * restarts from a random point. Stops when no label changes or after the iteration limit.
 */
public final class SphericalKMeans {

    private final int clusters;
    private final long seed;
    private final int maxIterations;

    public SphericalKMeans(int clusters, long seed, int maxIterations) {
        if (clusters < 1 || maxIterations < 1) {
            throw new IllegalArgumentException("need clusters >= 1 and maxIterations >= 1");
        }
        this.clusters = clusters;
        this.seed = seed;
        this.maxIterations = maxIterations;
    }

    public Clustering fit(float[][] features, BalancedKMeans.Progress progress) {
        Random random = new Random(seed);
        float[][] points = Cosine.normalizeRows(features);
        float[][] centroids = BalancedKMeans.initialCentroids(points, clusters, random);
        int[] labels = nearest(points, centroids);
        int iteration = 0;
        boolean converged = false;
        while (!converged && iteration < maxIterations) {
            float[][] means = BalancedKMeans.means(points, labels, clusters);
            for (int k = 0; k < clusters; k++) {
                centroids[k] =
                        means[k] == null ? points[random.nextInt(points.length)].clone() : Cosine.normalize(means[k]);
            }
            int[] next = nearest(points, centroids);
            iteration++;
            int changed = 0;
            for (int i = 0; i < next.length; i++) {
                changed += next[i] != labels[i] ? 1 : 0;
            }
            labels = next;
            progress.iteration(iteration, changed);
            converged = changed == 0;
        }
        return new Clustering(centroids, labels, iteration, converged);
    }

    private static int[] nearest(float[][] points, float[][] centroids) {
        float[][] scores = Cosine.similarities(points, centroids);
        return Arrays.stream(scores).mapToInt(Cosine::argmax).toArray();
    }
}
