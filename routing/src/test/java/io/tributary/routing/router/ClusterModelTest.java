package io.tributary.routing.router;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ClusterModelTest {

    private static final float[][] CENTROIDS = {{1, 0}, {0, 1}};

    @Test
    void normalisationScalesTheFeatureToUnitLengthBeforeTheMeanIsSubtracted() {
        float[] mean = {0.5f, 0f};
        float[] feature = {3, 4}; // unit: (0.6, 0.8); minus the mean: (0.1, 0.8)
        double[] normalized =
                new ClusterModel(CENTROIDS, mean, new double[] {1, 1}, new int[] {0, 1}, true).cosineScores(feature);
        double length = Math.hypot(0.1, 0.8);
        assertThat(normalized[0]).isCloseTo(0.1 / length, within(1e-6));
        assertThat(normalized[1]).isCloseTo(0.8 / length, within(1e-6));
        double[] raw = new ClusterModel(CENTROIDS, mean, new double[] {1, 1}).cosineScores(feature); // (2.5, 4)
        assertThat(raw[0]).isCloseTo(2.5 / Math.hypot(2.5, 4), within(1e-6));
    }

    @Test
    void anExpertWithSeveralCentroidsScoresItsClosestOne() {
        float[][] fine = {{1, 0}, {0, 1}, {-1, 0}};
        ClusterModel model = new ClusterModel(fine, new float[2], new double[] {1, 1}, new int[] {0, 1, 0}, true);
        assertThat(model.clusters()).isEqualTo(2);
        assertThat(model.cosineScores(new float[] {-2, 0.1f})[0]).isCloseTo(2 / Math.hypot(2, 0.1), within(1e-6));
        assertThat(model.cosineScores(new float[] {-2, 0.1f})[1]).isCloseTo(0.1 / Math.hypot(2, 0.1), within(1e-6));
    }

    @Test
    void everyExpertMustOwnACentroid() {
        assertThatThrownBy(() ->
                        new ClusterModel(CENTROIDS, new float[2], new double[] {1, 1, 1}, new int[] {0, 1}, false))
                .hasMessageContaining("expert 2 owns no centroid");
    }
}
