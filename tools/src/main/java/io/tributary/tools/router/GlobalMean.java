package io.tributary.tools.router;

/** The global mean of the mean-subtracted variant. */
final class GlobalMean {

    private GlobalMean() {}

    static float[] mean(float[][] rows) {
        double[] sum = new double[rows[0].length];
        for (float[] row : rows) {
            for (int j = 0; j < row.length; j++) {
                sum[j] += row[j];
            }
        }
        float[] mean = new float[sum.length];
        for (int j = 0; j < sum.length; j++) {
            mean[j] = (float) (sum[j] / rows.length);
        }
        return mean;
    }

    static float[][] minus(float[][] rows, float[] mean) {
        float[][] centred = new float[rows.length][mean.length];
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < mean.length; j++) {
                centred[i][j] = rows[i][j] - mean[j];
            }
        }
        return centred;
    }
}
