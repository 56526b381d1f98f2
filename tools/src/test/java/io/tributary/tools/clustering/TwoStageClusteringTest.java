package io.tributary.tools.clustering;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class TwoStageClusteringTest {

    @Test
    void aPointGoesToTheCoarseClusterOfItsNearestFineCentroid() {
        float[][] points = BalancedKMeansTest.blobs(new Random(11), 4, 50, 8);
        TwoStageClustering result = TwoStageClustering.fit(points, 16, 2, 42, 50, BalancedKMeans.Progress.NONE);
        int[] mapping = result.fineToCoarse();
        assertThat(mapping).hasSize(16);
        assertThat(Clustering.sizes(mapping, 2)).containsExactly(8, 8); // balanced over the fine centroids
        int[] labels = result.assign(points);
        int[] fine = Cosine.argmax(points, result.fine().centroids());
        for (int i = 0; i < points.length; i++) {
            assertThat(labels[i]).isEqualTo(mapping[fine[i]]);
        }
    }

    @Test
    void sphericalCentroidsHaveUnitLengthAndLabelsAreTheirArgmax() {
        float[][] points = CosineTest.gaussian(new Random(2), 300, 5, 1f);
        Clustering fine = new SphericalKMeans(6, 42, 100).fit(points, BalancedKMeans.Progress.NONE);
        for (float[] centroid : fine.centroids()) {
            assertThat(Cosine.norm(centroid)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        }
        assertThat(fine.assignments()).containsExactly(Cosine.argmax(points, fine.centroids()));
    }
}
