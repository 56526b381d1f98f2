package io.tributary.tools.clustering;

/**
 * The result of a k-means run.
 *
 * @param centroids   [K][d]
 * @param assignments the cluster of each point, [N]
 * @param iterations  how many centroid updates ran
 * @param converged   whether the stopping rule was met before the iteration limit
 */
public record Clustering(float[][] centroids, int[] assignments, int iterations, boolean converged) {

    public int clusters() {
        return centroids.length;
    }

    /** How many points each cluster holds. */
    public int[] sizes() {
        return sizes(assignments, centroids.length);
    }

    public static int[] sizes(int[] labels, int clusters) {
        int[] sizes = new int[clusters];
        for (int label : labels) {
            sizes[label]++;
        }
        return sizes;
    }

    /** Each cluster's share of the labels: the router's priors π_k when the labels are the data's partition. */
    public static double[] priors(int[] labels, int clusters) {
        int[] sizes = sizes(labels, clusters);
        double[] priors = new double[clusters];
        for (int k = 0; k < clusters; k++) {
            priors[k] = (double) sizes[k] / labels.length;
        }
        return priors;
    }
}
