package io.tributary.model.image;

/**
 * A second, deliberately plain reading of Pillow's bicubic resample (libImaging/Resample.c) for the tests: each
 * output sample recomputes its own filter taps from the formulas, with no shared tables and no code from
 * {@link PilBicubic}. Works on int[channel][row][column].
 */
final class ReferencePilResize {

    private ReferencePilResize() {}

    static int[][][] resize(int[][][] image, int outWidth, int outHeight) {
        int[][][] out = image;
        if (outWidth != image[0][0].length) {
            out = horizontal(out, outWidth);
        }
        if (outHeight != image[0].length) {
            out = transpose(horizontal(transpose(out), outHeight));
        }
        return out;
    }

    private static int[][][] horizontal(int[][][] in, int outWidth) {
        int channels = in.length;
        int rows = in[0].length;
        int inWidth = in[0][0].length;
        int[][][] out = new int[channels][rows][outWidth];
        for (int xx = 0; xx < outWidth; xx++) {
            int[] taps = new int[inWidth];
            boolean[] used = new boolean[inWidth];
            tapsFor(xx, inWidth, outWidth, taps, used);
            for (int c = 0; c < channels; c++) {
                for (int y = 0; y < rows; y++) {
                    long acc = 1L << 21;
                    for (int x = 0; x < inWidth; x++) {
                        if (used[x]) {
                            acc += (long) in[c][y][x] * taps[x];
                        }
                    }
                    long v = Math.floorDiv(acc, 1L << 22);
                    out[c][y][xx] = (int) Math.min(255, Math.max(0, v));
                }
            }
        }
        return out;
    }

    /** Fixed-point taps of output sample xx over every input sample (unused ones flagged false). */
    private static void tapsFor(int xx, int inSize, int outSize, int[] taps, boolean[] used) {
        double scale = inSize / (double) outSize;
        double stretch = scale < 1 ? 1 : scale;
        double support = 2 * stretch;
        double center = (xx + 0.5) * scale;
        // Pillow rounds the window ends with (int)(v + 0.5), which truncates towards zero.
        int lo = Math.max(0, (int) (center - support + 0.5));
        int hi = Math.min(inSize, (int) (center + support + 0.5));
        double[] w = new double[inSize];
        double total = 0;
        for (int x = lo; x < hi; x++) {
            w[x] = keys((x - center + 0.5) * (1.0 / stretch));
            total += w[x];
        }
        for (int x = lo; x < hi; x++) {
            double n = total == 0 ? w[x] : w[x] / total;
            taps[x] = (int) (n < 0 ? -0.5 + n * 4194304 : 0.5 + n * 4194304);
            used[x] = true;
        }
    }

    /** Keys' cubic with a = -0.5, written from the piecewise definition. */
    private static double keys(double t) {
        double x = Math.abs(t);
        if (x < 1) {
            return 1.5 * x * x * x - 2.5 * x * x + 1;
        }
        if (x < 2) {
            return -0.5 * x * x * x + 2.5 * x * x - 4 * x + 2;
        }
        return 0;
    }

    private static int[][][] transpose(int[][][] in) {
        int[][][] out = new int[in.length][in[0][0].length][in[0].length];
        for (int c = 0; c < in.length; c++) {
            for (int y = 0; y < in[0].length; y++) {
                for (int x = 0; x < in[0][0].length; x++) {
                    out[c][x][y] = in[c][y][x];
                }
            }
        }
        return out;
    }

    static int[][][] planes(RgbImage image) {
        int[][][] p = new int[3][image.height()][image.width()];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < image.height(); y++) {
                for (int x = 0; x < image.width(); x++) {
                    p[c][y][x] = image.sample(x, y, c);
                }
            }
        }
        return p;
    }
}
