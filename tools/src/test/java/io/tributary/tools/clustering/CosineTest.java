package io.tributary.tools.clustering;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class CosineTest {

    @Test
    void argmaxIsTheCentroidOfHighestCosineComputedIndependently() {
        Random random = new Random(3);
        float[][] rows = gaussian(random, 500, 16, 3f);
        float[][] centroids = gaussian(random, 5, 16, 0.2f); // unnormalised on purpose
        int[] labels = Cosine.argmax(rows, centroids);
        for (int i = 0; i < rows.length; i++) {
            int best = -1;
            double bestCosine = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < centroids.length; k++) {
                double dot = 0;
                double rowNorm = 0;
                double centroidNorm = 0;
                for (int j = 0; j < 16; j++) {
                    dot += (double) rows[i][j] * centroids[k][j];
                    rowNorm += (double) rows[i][j] * rows[i][j];
                    centroidNorm += (double) centroids[k][j] * centroids[k][j];
                }
                double cosine = dot / Math.sqrt(rowNorm * centroidNorm);
                if (cosine > bestCosine) {
                    bestCosine = cosine;
                    best = k;
                }
            }
            assertThat(labels[i]).as("row %d", i).isEqualTo(best);
        }
    }

    @Test
    void normalizedRowsHaveUnitLengthAndZeroRowsStayZero() {
        float[][] rows = Cosine.normalizeRows(new float[][] {{3, 4}, {0, 0}});
        assertThat(rows[0]).containsExactly(0.6f, 0.8f);
        assertThat(rows[1]).containsExactly(0f, 0f);
    }

    static float[][] gaussian(Random random, int rows, int dimension, float scale) {
        float[][] values = new float[rows][dimension];
        for (float[] row : values) {
            for (int j = 0; j < dimension; j++) {
                row[j] = (float) random.nextGaussian() * scale;
            }
        }
        return values;
    }
}
