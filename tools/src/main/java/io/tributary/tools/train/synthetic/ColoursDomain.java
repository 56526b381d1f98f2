package io.tributary.tools.train.synthetic;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** The image split into a left and a right half of two different named colours, with a little noise. */
final class ColoursDomain implements SyntheticDomain {

    /** Named colours, each at least ~100 apart from any other on some channel so that noise never blurs them. */
    static final Map<String, Integer> PALETTE = Map.of(
            "red", Raster.rgb(220, 30, 30),
            "green", Raster.rgb(30, 170, 50),
            "blue", Raster.rgb(30, 60, 220),
            "yellow", Raster.rgb(240, 220, 30),
            "purple", Raster.rgb(140, 40, 170),
            "orange", Raster.rgb(245, 140, 20),
            "white", Raster.rgb(245, 245, 245),
            "black", Raster.rgb(15, 15, 15));

    static final List<String> COLOURS = List.of("red", "green", "blue", "yellow", "purple", "orange", "white", "black");
    static final SyntheticQuestion LEFT = new SyntheticQuestion("What colour is the left half?", COLOURS);
    static final SyntheticQuestion RIGHT = new SyntheticQuestion("What colour is the right half?", COLOURS);

    private static final int SIZE = SyntheticTask.IMAGE_SIZE;
    /** How far a whole half's shade may drift from its named colour, per channel. */
    private static final int SHADE = 12;
    /** How far one pixel may drift from its half's shade, per channel. */
    private static final int NOISE = 10;

    @Override
    public String name() {
        return "colours";
    }

    @Override
    public List<SyntheticQuestion> questions() {
        return List.of(LEFT, RIGHT);
    }

    @Override
    public Drawing draw(SplittableRandom random) {
        SyntheticQuestion question = SyntheticDomain.pick(random, questions());
        String left = SyntheticDomain.pick(random, COLOURS);
        List<String> others = new ArrayList<>(COLOURS);
        others.remove(left);
        String right = SyntheticDomain.pick(random, others);
        int leftShade = shade(random, PALETTE.get(left));
        int rightShade = shade(random, PALETTE.get(right));
        Raster image = new Raster(SIZE, 0);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                image.set(x, y, jitter(random, x < SIZE / 2 ? leftShade : rightShade, NOISE));
            }
        }
        return new Drawing(image, question.text(), question == LEFT ? left : right);
    }

    private static int shade(SplittableRandom random, int colour) {
        return jitter(random, colour, SHADE);
    }

    private static int jitter(SplittableRandom random, int colour, int amount) {
        return Raster.rgb(
                Raster.red(colour) + random.nextInt(-amount, amount + 1),
                Raster.green(colour) + random.nextInt(-amount, amount + 1),
                Raster.blue(colour) + random.nextInt(-amount, amount + 1));
    }
}
