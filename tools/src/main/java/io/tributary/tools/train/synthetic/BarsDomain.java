package io.tributary.tools.train.synthetic;

import java.util.List;
import java.util.SplittableRandom;

/** A bar chart: three vertical bars of distinct heights in one colour, on light grey, standing on a dark baseline. */
final class BarsDomain implements SyntheticDomain {

    static final List<String> POSITIONS = List.of("left", "middle", "right");
    static final SyntheticQuestion TALLEST = new SyntheticQuestion("Which bar is tallest?", POSITIONS);
    static final SyntheticQuestion SHORTEST = new SyntheticQuestion("Which bar is shortest?", POSITIONS);

    private static final int SIZE = SyntheticTask.IMAGE_SIZE;
    /** Heights differ by at least this many pixels, so that the tallest and shortest bars are plain to see. */
    static final int MIN_DIFFERENCE = 3;

    private static final int MIN_HEIGHT = 4;

    @Override
    public String name() {
        return "bars";
    }

    @Override
    public List<SyntheticQuestion> questions() {
        return List.of(TALLEST, SHORTEST);
    }

    @Override
    public Drawing draw(SplittableRandom random) {
        SyntheticQuestion question = SyntheticDomain.pick(random, questions());
        int barWidth = 5 + random.nextInt(3);
        int gap = 2 + random.nextInt(3);
        int chartWidth = 3 * barWidth + 2 * gap;
        int left = 1 + random.nextInt(SIZE - 1 - chartWidth);
        int baseline = 27 + random.nextInt(3);
        int baselineThickness = 1 + random.nextInt(2);
        int grey = 200 + random.nextInt(31);
        int dark = 30 + random.nextInt(41);
        // Saturation * value >= 0.3 keeps the bars' channels >= 76 apart: coloured, never grey like the rest.
        int colour =
                Raster.hsv(random.nextDouble(360), 0.6 + 0.4 * random.nextDouble(), 0.5 + 0.35 * random.nextDouble());
        int[] heights = heights(random, baseline - 2);
        Raster image = new Raster(SIZE, Raster.rgb(grey, grey, grey));
        image.fillRect(0, baseline, SIZE, baseline + baselineThickness, Raster.rgb(dark, dark, dark));
        for (int bar = 0; bar < 3; bar++) {
            int x = left + bar * (barWidth + gap);
            image.fillRect(x, baseline - heights[bar], x + barWidth, baseline, colour);
        }
        int answer = 0;
        for (int bar = 1; bar < 3; bar++) {
            boolean better = question == TALLEST ? heights[bar] > heights[answer] : heights[bar] < heights[answer];
            answer = better ? bar : answer;
        }
        return new Drawing(image, question.text(), POSITIONS.get(answer));
    }

    /** Three heights at least {@link #MIN_DIFFERENCE} apart, in a uniformly random order. */
    private static int[] heights(SplittableRandom random, int maxHeight) {
        int[] heights = new int[3];
        do {
            for (int bar = 0; bar < 3; bar++) {
                heights[bar] = MIN_HEIGHT + random.nextInt(maxHeight - MIN_HEIGHT + 1);
            }
        } while (Math.abs(heights[0] - heights[1]) < MIN_DIFFERENCE
                || Math.abs(heights[1] - heights[2]) < MIN_DIFFERENCE
                || Math.abs(heights[0] - heights[2]) < MIN_DIFFERENCE);
        return heights;
    }
}
