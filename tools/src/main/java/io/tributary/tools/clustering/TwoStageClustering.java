package io.tributary.tools.clustering;

/**
 * The paper's two-stage clustering: spherical k-means of the points into many fine clusters, then balanced k-means
 * of the fine centroids into K coarse clusters. A point belongs to the coarse cluster of its nearest fine centroid.
 *
 * @param fine         the fine clustering of the points
 * @param coarse       the balanced clustering of the fine centroids: its labels map fine to coarse
 */
public record TwoStageClustering(Clustering fine, Clustering coarse) {

    public static TwoStageClustering fit(
            float[][] features,
            int fineClusters,
            int coarseClusters,
            long seed,
            int fineIterations,
            BalancedKMeans.Progress progress) {
        Clustering fine = new SphericalKMeans(fineClusters, seed, fineIterations).fit(features, progress);
        Clustering coarse = new BalancedKMeans(coarseClusters, seed).fit(fine.centroids(), progress);
        return new TwoStageClustering(fine, coarse);
    }

    /** The coarse cluster of each fine cluster. */
    public int[] fineToCoarse() {
        return coarse.assignments();
    }

    /** The coarse cluster of each feature: that of its nearest fine centroid by cosine. */
    public int[] assign(float[][] features) {
        return assign(features, fine.centroids(), fineToCoarse());
    }

    public static int[] assign(float[][] features, float[][] fineCentroids, int[] fineToCoarse) {
        int[] fineLabels = Cosine.argmax(features, fineCentroids);
        int[] labels = new int[fineLabels.length];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = fineToCoarse[fineLabels[i]];
        }
        return labels;
    }
}
