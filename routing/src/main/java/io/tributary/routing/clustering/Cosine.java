package io.tributary.routing.clustering;

import java.util.stream.IntStream;

/** Cosine similarity between feature rows and centroids, as clustering, partitioning and routing use it. */
public final class Cosine {

    private Cosine() {
    }

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
        IntStream.range(0, rows.length).parallel().forEach(i -> {
            float[] row = rows[i];
            float[] out = new float[unitCentroids.length];
            for (int k = 0; k < unitCentroids.length; k++) {
                float[] c = unitCentroids[k];
                float dot = 0;
                for (int j = 0; j < row.length; j++) {
                    dot += row[j] * c[j];
                }
                out[k] = dot;
            }
            scores[i] = out;
        });
        return scores;
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
                throw new IllegalArgumentException("a feature of dimension " + row.length + " against centroids of "
                        + "dimension " + dimension);
            }
        }
    }
}
