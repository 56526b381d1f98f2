package io.tributary.tools.clustering;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class BalancedKMeansTest {

    @Test
    void recoversThreeSeparatedGroupsWithCentroidsThatArePlainMeans() {
        float[][] points = blobs(new Random(5), 3, 60, 8);
        Clustering result = new BalancedKMeans(3, 42).fit(points, BalancedKMeans.Progress.NONE);
        assertThat(result.converged()).isTrue();
        for (int group = 0; group < 3; group++) {
            int label = result.assignments()[group * 60];
            for (int i = group * 60; i < (group + 1) * 60; i++) {
                assertThat(result.assignments()[i]).isEqualTo(label);
            }
            // At convergence the labels no longer move, so each centroid is the mean of its unit-length points:
            // shorter than 1, since the mean is not re-normalised.
            float[][] unit = Cosine.normalizeRows(points);
            float[] mean = BalancedKMeans.means(unit, result.assignments(), 3)[label];
            assertThat(BalancedKMeans.distance(mean, result.centroids()[label])).isLessThan(0.05);
            assertThat(Cosine.norm(result.centroids()[label])).isLessThan(0.999);
        }
    }

    @Test
    void stopsAtTheFirstIterationWhoseSquaredShiftSumIsBelowTheTolerance() {
        float[][] points = CosineTest.gaussian(new Random(9), 400, 6, 1f);
        List<Double> shifts = new ArrayList<>();
        Clustering result =
                new BalancedKMeans(4, 42, 100, 1e-3).fit(points, (iteration, shiftSquared) -> shifts.add(shiftSquared));
        assertThat(shifts).hasSize(result.iterations());
        if (result.converged()) {
            assertThat(shifts.get(shifts.size() - 1)).isLessThan(1e-3);
            assertThat(shifts.subList(0, shifts.size() - 1))
                    .allSatisfy(s -> assertThat(s).isGreaterThanOrEqualTo(1e-3));
        } else {
            assertThat(result.iterations()).isEqualTo(100);
        }
        assertThat(Clustering.sizes(result.assignments(), 4)).containsExactly(100, 100, 100, 100);
    }

    @Test
    void theIterationLimitStopsAnUnconvergedRun() {
        float[][] points = CosineTest.gaussian(new Random(9), 400, 6, 1f);
        Clustering result = new BalancedKMeans(4, 42, 1, 0).fit(points, BalancedKMeans.Progress.NONE);
        assertThat(result.iterations()).isEqualTo(1);
        assertThat(result.converged()).isFalse();
    }

    @Test
    void initialCentroidsAreDistinctPointsAndDependOnlyOnTheSeed() {
        float[][] points = new float[50][];
        for (int i = 0; i < 50; i++) {
            points[i] = new float[] {i};
        }
        float[][] first = BalancedKMeans.initialCentroids(points, 10, new Random(42));
        float[][] again = BalancedKMeans.initialCentroids(points, 10, new Random(42));
        assertThat(first).isDeepEqualTo(again);
        assertThat(java.util.Arrays.stream(first)
                        .mapToDouble(p -> p[0])
                        .distinct()
                        .count())
                .isEqualTo(10);
    }

    /** Groups of points around distinct random directions, in order: group g holds rows [g·size, (g+1)·size). */
    static float[][] blobs(Random random, int groups, int size, int dimension) {
        float[][] points = new float[groups * size][dimension];
        for (int g = 0; g < groups; g++) {
            float[] direction = new float[dimension];
            direction[g % dimension] = 1;
            for (int i = 0; i < size; i++) {
                for (int j = 0; j < dimension; j++) {
                    points[g * size + i][j] = direction[j] * 5 + (float) random.nextGaussian() * 0.3f;
                }
            }
        }
        return points;
    }
}
