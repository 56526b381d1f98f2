package io.tributary.tools.train.synthetic;

import java.util.List;
import java.util.SplittableRandom;

/** One digit drawn seven-segment style, in a light colour on a dark background, at a random place and scale. */
final class DigitsDomain implements SyntheticDomain {

    static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    static final SyntheticQuestion WHAT_DIGIT = new SyntheticQuestion("What digit is shown?", DIGITS);

    /**
     * Each digit's lit segments, named as usual: a top, b top right, c bottom right, d bottom, e bottom left, f top
     * left, g middle.
     */
    static final String[] SEGMENTS = {
        "abcdef", "bc", "abdeg", "abcdg", "bcfg", "acdfg", "acdefg", "abc", "abcdefg", "abcdfg"
    };

    private static final int SIZE = SyntheticTask.IMAGE_SIZE;

    @Override
    public String name() {
        return "digits";
    }

    @Override
    public List<SyntheticQuestion> questions() {
        return List.of(WHAT_DIGIT);
    }

    @Override
    public Drawing draw(SplittableRandom random) {
        int digit = random.nextInt(DIGITS.size());
        // Sizes chosen so that each segment's middle pixel is covered by that segment alone (see the test).
        int width = 12 + random.nextInt(5);
        int height = 22 + random.nextInt(7);
        int thickness = 3 + random.nextInt(2);
        int x = 2 + random.nextInt(SIZE - 3 - width);
        int y = 2 + random.nextInt(SIZE - 3 - height);
        int background = Raster.rgb(random.nextInt(41), random.nextInt(41), random.nextInt(41));
        int colour = Raster.hsv(random.nextDouble(360), 0.5 * random.nextDouble(), 0.85 + 0.15 * random.nextDouble());
        Raster image = new Raster(SIZE, background);
        int middle = y + height / 2;
        int bottom = y + height;
        int right = x + width;
        for (char segment : SEGMENTS[digit].toCharArray()) {
            // Vertical segments run corner to corner, so every digit but 1 spans the glyph's whole box.
            switch (segment) {
                case 'a' -> image.fillRect(x, y, right, y + thickness, colour);
                case 'b' -> image.fillRect(right - thickness, y, right, middle, colour);
                case 'c' -> image.fillRect(right - thickness, middle, right, bottom, colour);
                case 'd' -> image.fillRect(x, bottom - thickness, right, bottom, colour);
                case 'e' -> image.fillRect(x, middle, x + thickness, bottom, colour);
                case 'f' -> image.fillRect(x, y, x + thickness, middle, colour);
                case 'g' ->
                    image.fillRect(x, middle - thickness / 2, right, middle - thickness / 2 + thickness, colour);
                default -> throw new IllegalStateException("no segment " + segment);
            }
        }
        return new Drawing(image, WHAT_DIGIT.text(), DIGITS.get(digit));
    }
}
