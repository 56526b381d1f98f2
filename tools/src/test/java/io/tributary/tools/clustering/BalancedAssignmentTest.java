package io.tributary.tools.clustering;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BalancedAssignmentTest {

    @Test
    void everyClusterGetsTheFloorAndTheLeftOversGoToDistinctClusters() {
        float[][] scores = randomScores(new Random(1), 103, 8);
        int[] sizes = Clustering.sizes(BalancedAssignment.solve(scores, 8, 1e-6), 8);
        assertThat(java.util.Arrays.stream(sizes).boxed().toList())
                .allSatisfy(size -> assertThat(size).isBetween(12, 13));
        assertThat(java.util.Arrays.stream(sizes).filter(size -> size == 13).count())
                .isEqualTo(103 % 8);
    }

    @Test
    void pointsThatAllPreferOneClusterAreStillSplitEvenly() {
        float[][] scores = new float[40][];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = new float[] {1f, 0.5f - i * 0.01f, 0.1f, -1f};
        }
        int[] assignment = BalancedAssignment.solve(scores, 4, 1e-6);
        assertThat(Clustering.sizes(assignment, 4)).containsExactly(10, 10, 10, 10);
    }

    @Test
    void matchesTheBestBalancedAssignmentFoundByBruteForceWithinEpsilon() {
        Random random = new Random(7);
        double epsilon = 1e-4;
        for (int trial = 0; trial < 40; trial++) {
            int clusters = 2 + trial % 3;
            int points = clusters * 2 + trial % clusters; // exercises left-over points too
            float[][] scores = randomScores(random, points, clusters);
            int[] assignment = BalancedAssignment.solve(scores, clusters, epsilon);
            double best = bruteForceBest(scores, clusters);
            double found = BalancedAssignment.total(scores, assignment);
            assertThat(found)
                    .as("trial %d", trial)
                    .isLessThanOrEqualTo(best + 1e-9)
                    .isGreaterThanOrEqualTo(best - (points + clusters) * epsilon);
            assertThat(isBalanced(assignment, clusters)).isTrue();
        }
    }

    @Test
    void startingFromTheLastSolvesPricesStillFindsTheBestWithinEpsilon() {
        Random random = new Random(8);
        double epsilon = 1e-4;
        for (int trial = 0; trial < 20; trial++) {
            int clusters = 2 + trial % 3;
            int points = clusters * 2 + trial % clusters;
            float[][] scores = randomScores(random, points, clusters);
            BalancedAssignment.Prices prices = new BalancedAssignment.Prices();
            BalancedAssignment.solve(scores, clusters, epsilon, prices);
            for (float[] row : scores) { // the centroids moved a little
                for (int k = 0; k < clusters; k++) {
                    row[k] += (random.nextFloat() - 0.5f) * 0.2f;
                }
            }
            int[] warm = BalancedAssignment.solve(scores, clusters, epsilon, prices);
            assertThat(isBalanced(warm, clusters)).isTrue();
            assertThat(BalancedAssignment.total(scores, warm))
                    .as("trial %d", trial)
                    .isGreaterThanOrEqualTo(bruteForceBest(scores, clusters) - (points + clusters) * epsilon);
        }
    }

    @Test
    void refusesFewerPointsThanClusters() {
        assertThatThrownBy(() -> BalancedAssignment.solve(new float[2][3], 3, 1e-6))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 points into 3 clusters");
    }

    /** Every assignment of N points to K clusters, keeping the balanced ones. */
    private static double bruteForceBest(float[][] scores, int clusters) {
        int points = scores.length;
        int[] assignment = new int[points];
        double best = Double.NEGATIVE_INFINITY;
        long total = (long) Math.pow(clusters, points);
        for (long code = 0; code < total; code++) {
            long rest = code;
            for (int i = 0; i < points; i++) {
                assignment[i] = (int) (rest % clusters);
                rest /= clusters;
            }
            if (isBalanced(assignment, clusters)) {
                best = Math.max(best, BalancedAssignment.total(scores, assignment));
            }
        }
        return best;
    }

    private static boolean isBalanced(int[] assignment, int clusters) {
        int floor = assignment.length / clusters;
        int larger = 0;
        for (int size : Clustering.sizes(assignment, clusters)) {
            if (size != floor && size != floor + 1) {
                return false;
            }
            larger += size == floor + 1 ? 1 : 0;
        }
        return larger == assignment.length % clusters;
    }

    static float[][] randomScores(Random random, int points, int clusters) {
        float[][] scores = new float[points][clusters];
        for (float[] row : scores) {
            for (int k = 0; k < clusters; k++) {
                row[k] = random.nextFloat() * 2 - 1;
            }
        }
        return scores;
    }
}
