package io.tributary.tools.train.synthetic;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** One to four copies of one shape in one saturated colour on a white or very light background. */
final class ShapesDomain implements SyntheticDomain {

    static final List<String> SHAPES = List.of("circle", "square", "triangle", "cross");
    static final List<String> COUNTS = List.of("one", "two", "three", "four");
    static final SyntheticQuestion WHAT_SHAPE = new SyntheticQuestion("What shape is in the image?", SHAPES);
    static final SyntheticQuestion HOW_MANY = new SyntheticQuestion("How many shapes are there?", COUNTS);

    private static final int SIZE = SyntheticTask.IMAGE_SIZE;
    /** Below 8 px a circle's cut corners are too few pixels to tell it from a square. */
    private static final int MIN_SIDE = 8;
    /** Largest side by count (index count - 1): four shapes must still fit side by side. */
    private static final int[] MAX_SIDE = {18, 14, 12, 11};
    /** Empty pixels between two shapes' boxes, so each shape is a blob of its own and counting is unambiguous. */
    private static final int GAP = 2;

    /** A shape's square box: columns [x, x + side), rows [y, y + side). */
    private record Box(int x, int y, int side) {

        boolean apartFrom(Box other) {
            return x + side + GAP <= other.x
                    || other.x + other.side + GAP <= x
                    || y + side + GAP <= other.y
                    || other.y + other.side + GAP <= y;
        }
    }

    @Override
    public String name() {
        return "shapes";
    }

    @Override
    public List<SyntheticQuestion> questions() {
        return List.of(WHAT_SHAPE, HOW_MANY);
    }

    @Override
    public Drawing draw(SplittableRandom random) {
        SyntheticQuestion question = SyntheticDomain.pick(random, questions());
        String shape = SyntheticDomain.pick(random, SHAPES);
        int count = 1 + random.nextInt(COUNTS.size());
        int background = Raster.rgb(240 + random.nextInt(16), 240 + random.nextInt(16), 240 + random.nextInt(16));
        // Saturation >= 0.7 and value <= 0.85 keep the darkest channel under 70: far from the background's 240+.
        int colour =
                Raster.hsv(random.nextDouble(360), 0.7 + 0.3 * random.nextDouble(), 0.55 + 0.3 * random.nextDouble());
        Raster image = new Raster(SIZE, background);
        for (Box box : layout(random, count)) {
            draw(image, shape, box, colour);
        }
        return new Drawing(image, question.text(), question == WHAT_SHAPE ? shape : COUNTS.get(count - 1));
    }

    /** Random boxes that keep their distance; a crowded attempt starts over with smaller shapes. */
    private static List<Box> layout(SplittableRandom random, int count) {
        int maxSide = MAX_SIDE[count - 1];
        while (true) {
            List<Box> boxes = new ArrayList<>();
            for (int attempt = 0; attempt < 100 && boxes.size() < count; attempt++) {
                int side = MIN_SIDE + random.nextInt(maxSide - MIN_SIDE + 1);
                Box box = new Box(1 + random.nextInt(SIZE - 1 - side), 1 + random.nextInt(SIZE - 1 - side), side);
                if (boxes.stream().allMatch(box::apartFrom)) {
                    boxes.add(box);
                }
            }
            if (boxes.size() == count) {
                return boxes;
            }
            maxSide = Math.max(MIN_SIDE, maxSide - 1);
        }
    }

    private static void draw(Raster image, String shape, Box box, int colour) {
        int x = box.x();
        int y = box.y();
        int side = box.side();
        double centreX = x + side / 2.0;
        double centreY = y + side / 2.0;
        switch (shape) {
            case "circle" ->
                image.fill(
                        x,
                        y,
                        x + side,
                        y + side,
                        (px, py) -> square(px - centreX) + square(py - centreY) <= square(side / 2.0),
                        colour);
            case "square" -> image.fillRect(x, y, x + side, y + side, colour);
            // Apex at the top centre, base along the bottom: the half-width grows by half a pixel per row.
            case "triangle" ->
                image.fill(x, y, x + side, y + side, (px, py) -> Math.abs(px - centreX) <= (py - y) / 2.0, colour);
            case "cross" -> {
                int arm = armWidth(side);
                int offset = (side - arm) / 2;
                image.fillRect(x, y + offset, x + side, y + offset + arm, colour);
                image.fillRect(x + offset, y, x + offset + arm, y + side, colour);
            }
            default -> throw new IllegalStateException("no shape " + shape);
        }
    }

    /** About a third of the side, of the side's parity so that the arms sit exactly in the middle. */
    private static int armWidth(int side) {
        int arm = (int) Math.round(side / 3.0);
        if ((side - arm) % 2 != 0) {
            arm += arm * 3 < side ? 1 : -1;
        }
        return arm;
    }

    private static double square(double value) {
        return value * value;
    }
}
