package io.tributary.tools.train.synthetic;

import java.awt.image.BufferedImage;
import java.util.Arrays;

/**
 * A square RGB image drawn pixel by pixel with plain arithmetic: no Java2D, fonts or antialiasing, so the same seed
 * gives the same pixels on any JDK and on a headless machine. A pixel belongs to a shape when its centre does.
 */
final class Raster {

    /** Inside-test at a pixel's centre, in image coordinates (x right, y down). */
    @FunctionalInterface
    interface Region {
        boolean contains(double x, double y);
    }

    private final int size;
    private final int[] rgb;

    Raster(int size, int background) {
        this.size = size;
        this.rgb = new int[size * size];
        Arrays.fill(rgb, background);
    }

    int size() {
        return size;
    }

    int get(int x, int y) {
        return rgb[y * size + x];
    }

    void set(int x, int y, int colour) {
        if (x >= 0 && y >= 0 && x < size && y < size) {
            rgb[y * size + x] = colour;
        }
    }

    /** Fills columns [x0, x1) of rows [y0, y1), clipped to the image. */
    void fillRect(int x0, int y0, int x1, int y1, int colour) {
        fill(x0, y0, x1, y1, (x, y) -> true, colour);
    }

    /** Fills the pixels of the box [x0, x1) × [y0, y1) whose centre lies in the region. */
    void fill(int x0, int y0, int x1, int y1, Region region, int colour) {
        for (int y = Math.max(0, y0); y < Math.min(size, y1); y++) {
            for (int x = Math.max(0, x0); x < Math.min(size, x1); x++) {
                if (region.contains(x + 0.5, y + 0.5)) {
                    rgb[y * size + x] = colour;
                }
            }
        }
    }

    /** Row-major 0xRRGGBB pixels, a copy. */
    int[] pixels() {
        return rgb.clone();
    }

    static BufferedImage toImage(int[] pixels, int size) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, size, size, pixels, 0, size);
        return image;
    }

    static int rgb(int red, int green, int blue) {
        return clamp(red) << 16 | clamp(green) << 8 | clamp(blue);
    }

    static int red(int colour) {
        return colour >> 16 & 0xFF;
    }

    static int green(int colour) {
        return colour >> 8 & 0xFF;
    }

    static int blue(int colour) {
        return colour & 0xFF;
    }

    /** Hue in [0, 360), saturation and value in [0, 1]: how the domains pick random but controlled colours. */
    static int hsv(double hue, double saturation, double value) {
        double chroma = value * saturation;
        double sector = hue / 60.0;
        double second = chroma * (1 - Math.abs(sector % 2 - 1));
        double[] rgb = switch ((int) sector % 6) {
            case 0 -> new double[] {chroma, second, 0};
            case 1 -> new double[] {second, chroma, 0};
            case 2 -> new double[] {0, chroma, second};
            case 3 -> new double[] {0, second, chroma};
            case 4 -> new double[] {second, 0, chroma};
            default -> new double[] {chroma, 0, second};
        };
        double base = value - chroma;
        return rgb((int) Math.round((rgb[0] + base) * 255), (int) Math.round((rgb[1] + base) * 255), (int)
                Math.round((rgb[2] + base) * 255));
    }

    private static int clamp(int channel) {
        return Math.max(0, Math.min(255, channel));
    }
}
