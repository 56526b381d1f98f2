package io.tributary.model.image;

/**
 * Pillow's {@code Image.resize(size, Image.BICUBIC)} for 8-bit RGB images, reproduced sample for sample (Pillow's
 * libImaging/Resample.c), because CLIP's and InternVL's processors resize with PIL and a vision encoder sees the
 * difference between resamplers.
 *
 * <p>The convention, each point of which changes output bytes: pixel centres sit at {@code i + 0.5}; the cubic
 * kernel has a = -0.5 and support 2; when downscaling, the kernel is stretched by the scale factor (antialiasing)
 * and its support grows with it; each output pixel's weights are normalised to sum 1, then turned into 22-bit
 * fixed point (rounded away from zero); the horizontal pass runs first and its result is rounded (half up) and
 * clamped to 0..255 before the vertical pass reads it; an axis whose size does not change is not resampled.
 */
public final class PilBicubic {

    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final double SUPPORT = 2.0;

    private PilBicubic() {}

    public static RgbImage resize(RgbImage image, int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("resize target must be positive, got " + width + "x" + height);
        }
        if (width == image.width() && height == image.height()) {
            return image;
        }
        RgbImage out = image;
        if (width != image.width()) {
            out = horizontal(out, width, Coefficients.of(image.width(), width));
        }
        if (height != image.height()) {
            out = vertical(out, height, Coefficients.of(image.height(), height));
        }
        return out;
    }

    private static RgbImage horizontal(RgbImage in, int width, Coefficients k) {
        byte[] src = in.rgb();
        byte[] out = new byte[width * in.height() * 3];
        for (int y = 0; y < in.height(); y++) {
            int row = y * in.width();
            for (int x = 0; x < width; x++) {
                for (int c = 0; c < 3; c++) {
                    int sum = 1 << (PRECISION_BITS - 1);
                    for (int i = 0; i < k.count[x]; i++) {
                        sum += (src[3 * (row + k.first[x] + i) + c] & 0xFF) * k.weights[x][i];
                    }
                    out[3 * (y * width + x) + c] = clip8(sum);
                }
            }
        }
        return new RgbImage(width, in.height(), out);
    }

    private static RgbImage vertical(RgbImage in, int height, Coefficients k) {
        byte[] src = in.rgb();
        int width = in.width();
        byte[] out = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                for (int c = 0; c < 3; c++) {
                    int sum = 1 << (PRECISION_BITS - 1);
                    for (int i = 0; i < k.count[y]; i++) {
                        sum += (src[3 * ((k.first[y] + i) * width + x) + c] & 0xFF) * k.weights[y][i];
                    }
                    out[3 * (y * width + x) + c] = clip8(sum);
                }
            }
        }
        return new RgbImage(width, height, out);
    }

    /** Fixed point back to a byte: floor (the half was added up front), clamped to 0..255. */
    private static byte clip8(int sum) {
        int value = sum >> PRECISION_BITS;
        return (byte) Math.max(0, Math.min(255, value));
    }

    /** Keys cubic convolution kernel, a = -0.5. */
    static double cubic(double x) {
        double a = -0.5;
        x = Math.abs(x);
        if (x < 1.0) {
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0.0;
    }

    /** Per output pixel: the first input pixel read, how many are read, and their fixed-point weights. */
    private static final class Coefficients {
        final int[] first;
        final int[] count;
        final int[][] weights;

        private Coefficients(int outSize) {
            first = new int[outSize];
            count = new int[outSize];
            weights = new int[outSize][];
        }

        static Coefficients of(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = SUPPORT * filterScale;
            double inverseScale = 1.0 / filterScale; // Pillow multiplies by the reciprocal: same rounding
            Coefficients k = new Coefficients(outSize);
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                int xmin = Math.max(0, (int) (center - support + 0.5));
                int xmax = Math.min(inSize, (int) (center + support + 0.5)) - xmin;
                double[] w = new double[xmax];
                double total = 0;
                for (int x = 0; x < xmax; x++) {
                    w[x] = cubic((x + xmin - center + 0.5) * inverseScale);
                    total += w[x];
                }
                int[] fixed = new int[xmax];
                for (int x = 0; x < xmax; x++) {
                    double normalized = total != 0.0 ? w[x] / total : w[x];
                    double scaled = normalized * (1 << PRECISION_BITS);
                    fixed[x] = (int) (normalized < 0 ? scaled - 0.5 : scaled + 0.5);
                }
                k.first[xx] = xmin;
                k.count[xx] = xmax;
                k.weights[xx] = fixed;
            }
            return k;
        }
    }
}
