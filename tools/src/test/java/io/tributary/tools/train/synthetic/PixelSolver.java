package io.tributary.tools.train.synthetic;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * Answers each domain's questions from the pixels alone, knowing nothing of how the image was drawn: if it agrees with
 * the renderer on every sample, the image decides the answer.
 */
final class PixelSolver {

    private static final int SIZE = SyntheticTask.IMAGE_SIZE;

    private PixelSolver() {}

    static String answer(RenderedSample sample) {
        return switch (sample.domain()) {
            case "shapes" -> shapes(sample.rgb(), sample.question());
            case "digits" -> digit(sample.rgb());
            case "colours" -> colour(sample.rgb(), sample.question().contains("left"));
            case "bars" -> bars(sample.rgb(), sample.question().contains("tallest"));
            default -> throw new IllegalArgumentException(sample.domain());
        };
    }

    /** Shapes are dark-ish saturated blobs on a background whose every channel is >= 240. */
    static String shapes(int[] rgb, String question) {
        List<List<Integer>> blobs = components(
                rgb, colour -> Math.min(Raster.red(colour), Math.min(Raster.green(colour), Raster.blue(colour))) < 150);
        if (question.startsWith("How many")) {
            return ShapesDomain.COUNTS.get(blobs.size() - 1);
        }
        List<String> kinds = blobs.stream().map(PixelSolver::shape).distinct().toList();
        return kinds.size() == 1 ? kinds.get(0) : "mixed " + kinds;
    }

    /** Tells a blob's shape by its rows' widths. */
    private static String shape(List<Integer> blob) {
        int top = blob.stream().mapToInt(p -> p / SIZE).min().orElseThrow();
        int bottom = blob.stream().mapToInt(p -> p / SIZE).max().orElseThrow();
        int left = blob.stream().mapToInt(p -> p % SIZE).min().orElseThrow();
        int right = blob.stream().mapToInt(p -> p % SIZE).max().orElseThrow();
        int[] widths = new int[bottom - top + 1];
        blob.forEach(p -> widths[p / SIZE - top]++);
        int boxWidth = right - left + 1;
        if (blob.size() == boxWidth * widths.length) {
            return "square";
        }
        if (widths[widths.length - 1] >= widths[0] + 3) {
            return "triangle"; // narrow apex, wide base
        }
        // A cross's arm keeps its width over its first rows; a circle's rows widen at once.
        return widths[0] == widths[1] ? "cross" : "circle";
    }

    /** Finds the glyph's box from its light pixels, then reads the middle of each of the seven segments. */
    static String digit(int[] rgb) {
        IntPredicate lit =
                colour -> Math.max(Raster.red(colour), Math.max(Raster.green(colour), Raster.blue(colour))) > 140;
        int left = SIZE;
        int right = -1;
        int top = SIZE;
        int bottom = -1;
        for (int p = 0; p < rgb.length; p++) {
            if (lit.test(rgb[p])) {
                left = Math.min(left, p % SIZE);
                right = Math.max(right, p % SIZE);
                top = Math.min(top, p / SIZE);
                bottom = Math.max(bottom, p / SIZE);
            }
        }
        int width = right - left + 1;
        int height = bottom - top + 1;
        if (width <= 4) {
            return "1"; // a single upright bar: the only digit narrower than the glyph box
        }
        int[][] middles = {
            {left + width / 2, top + 1},
            {right - 1, top + height / 4},
            {right - 1, top + 3 * height / 4},
            {left + width / 2, bottom - 1},
            {left + 1, top + 3 * height / 4},
            {left + 1, top + height / 4},
            {left + width / 2, top + height / 2}
        };
        StringBuilder segments = new StringBuilder();
        for (int s = 0; s < middles.length; s++) {
            if (lit.test(rgb[middles[s][1] * SIZE + middles[s][0]])) {
                segments.append((char) ('a' + s));
            }
        }
        return String.valueOf(List.of(DigitsDomain.SEGMENTS).indexOf(segments.toString()));
    }

    /** The named colour nearest the half's mean. */
    static String colour(int[] rgb, boolean leftHalf) {
        double[] mean = new double[3];
        for (int p = 0; p < rgb.length; p++) {
            if (p % SIZE < SIZE / 2 == leftHalf) {
                mean[0] += Raster.red(rgb[p]);
                mean[1] += Raster.green(rgb[p]);
                mean[2] += Raster.blue(rgb[p]);
            }
        }
        for (int c = 0; c < 3; c++) {
            mean[c] /= rgb.length / 2.0;
        }
        return ColoursDomain.PALETTE.entrySet().stream()
                .min(Comparator.comparingDouble((Map.Entry<String, Integer> entry) -> distance(mean, entry.getValue())))
                .orElseThrow()
                .getKey();
    }

    /** Bars are the coloured columns (the background and baseline are grey); a bar's height is its coloured pixels. */
    static String bars(int[] rgb, boolean tallest) {
        List<Integer> heights = new ArrayList<>();
        boolean inBar = false;
        for (int x = 0; x < SIZE; x++) {
            int height = 0;
            for (int y = 0; y < SIZE; y++) {
                int colour = rgb[y * SIZE + x];
                int max = Math.max(Raster.red(colour), Math.max(Raster.green(colour), Raster.blue(colour)));
                int min = Math.min(Raster.red(colour), Math.min(Raster.green(colour), Raster.blue(colour)));
                height += max - min > 40 ? 1 : 0;
            }
            if (height > 0 && !inBar) {
                heights.add(height);
            }
            inBar = height > 0;
        }
        if (heights.size() != 3) {
            return heights.size() + " bars";
        }
        List<Integer> sorted = heights.stream().sorted().toList();
        if (sorted.get(1) - sorted.get(0) < BarsDomain.MIN_DIFFERENCE
                || sorted.get(2) - sorted.get(1) < BarsDomain.MIN_DIFFERENCE) {
            return "heights too close " + heights;
        }
        return BarsDomain.POSITIONS.get(heights.indexOf(tallest ? sorted.get(2) : sorted.get(0)));
    }

    /** 8-connected components of the pixels that pass the test, as lists of pixel positions. */
    private static List<List<Integer>> components(int[] rgb, IntPredicate foreground) {
        boolean[] seen = new boolean[rgb.length];
        List<List<Integer>> components = new ArrayList<>();
        for (int start = 0; start < rgb.length; start++) {
            if (seen[start] || !foreground.test(rgb[start])) {
                continue;
            }
            List<Integer> component = new ArrayList<>(List.of(start));
            seen[start] = true;
            for (int i = 0; i < component.size(); i++) {
                int x = component.get(i) % SIZE;
                int y = component.get(i) / SIZE;
                for (int ny = Math.max(0, y - 1); ny <= Math.min(SIZE - 1, y + 1); ny++) {
                    for (int nx = Math.max(0, x - 1); nx <= Math.min(SIZE - 1, x + 1); nx++) {
                        int p = ny * SIZE + nx;
                        if (!seen[p] && foreground.test(rgb[p])) {
                            seen[p] = true;
                            component.add(p);
                        }
                    }
                }
            }
            components.add(component);
        }
        return components;
    }

    private static double distance(double[] mean, int colour) {
        double r = mean[0] - Raster.red(colour);
        double g = mean[1] - Raster.green(colour);
        double b = mean[2] - Raster.blue(colour);
        return r * r + g * g + b * b;
    }
}
