package io.tributary.tools.clustering;

import java.util.stream.IntStream;

/** Cosine similarity between feature rows and centroids, as clustering, partitioning and routing use it. */
public final class Cosine {

    private Cosine() {}

    /** Each row divided by its L2 norm (a zero row stays zero), as the paper stores its features. */
    public static float[][] normalizeRows(float[][] rows) {
        float[][] normalized = new float[rows.length][];
        IntStream.range(0, rows.length).parallel().forEach(i -> normalized[i] = normalize(rows[i]));
        return normalized;
    }

    public static float[] normalize(float[] row) {
        double norm = norm(row);
        float[] normalized = new float[row.length];
        if (norm > 0) {
            for (int j = 0; j < row.length; j++) {
                normalized[j] = (float) (row[j] / norm);
            }
        }
        return normalized;
    }

    public static double norm(float[] row) {
        double sum = 0;
        for (float value : row) {
            sum += (double) value * value;
        }
        return Math.sqrt(sum);
    }

    /**
     * {@code cos(x_i, c_k)} for every row and centroid: [N][K]. A zero row or centroid scores 0.
     *
     * @param rows already L2-normalised rows (the centroids need not be)
     */
    public static float[][] similarities(float[][] rows, float[][] centroids) {
        requireSameDimension(rows, centroids);
        float[][] unitCentroids = normalizeRows(centroids);
        float[][] scores = new float[rows.length][];
        IntStream.range(0, rows.length).parallel().forEach(i -> scores[i] = dots(rows[i], unitCentroids));
        return scores;
    }

    /**
     * The row's dot product with each centroid, four centroids per pass over the row: four independent sums let
     * the processor overlap the multiply-adds (a single running sum waits on each one).
     */
    private static float[] dots(float[] row, float[][] centroids) {
        float[] out = new float[centroids.length];
        int k = 0;
        for (; k + 4 <= centroids.length; k += 4) {
            float[] a = centroids[k];
            float[] b = centroids[k + 1];
            float[] c = centroids[k + 2];
            float[] d = centroids[k + 3];
            float sa = 0;
            float sb = 0;
            float sc = 0;
            float sd = 0;
            for (int j = 0; j < row.length; j++) {
                float x = row[j];
                sa += x * a[j];
                sb += x * b[j];
                sc += x * c[j];
                sd += x * d[j];
            }
            out[k] = sa;
            out[k + 1] = sb;
            out[k + 2] = sc;
            out[k + 3] = sd;
        }
        for (; k < centroids.length; k++) {
            float sum = 0;
            for (int j = 0; j < row.length; j++) {
                sum += row[j] * centroids[k][j];
            }
            out[k] = sum;
        }
        return out;
    }

    /** The paper's partition and hard routing: each row's centroid of highest cosine (the first on a tie). */
    public static int[] argmax(float[][] rows, float[][] centroids) {
        float[][] scores = similarities(normalizeRows(rows), centroids);
        int[] labels = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            labels[i] = argmax(scores[i]);
        }
        return labels;
    }

    public static int argmax(float[] values) {
        int best = 0;
        for (int k = 1; k < values.length; k++) {
            if (values[k] > values[best]) {
                best = k;
            }
        }
        return best;
    }

    private static void requireSameDimension(float[][] rows, float[][] centroids) {
        if (centroids.length == 0) {
            throw new IllegalArgumentException("no centroids");
        }
        int dimension = centroids[0].length;
        for (float[] centroid : centroids) {
            if (centroid.length != dimension) {
                throw new IllegalArgumentException("centroids of different dimensions");
            }
        }
        for (float[] row : rows) {
            if (row.length != dimension) {
                throw new IllegalArgumentException(
                        "a feature of dimension " + row.length + " against centroids of " + "dimension " + dimension);
            }
        }
    }
}
