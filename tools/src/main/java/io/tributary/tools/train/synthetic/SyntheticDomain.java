package io.tributary.tools.train.synthetic;

import java.util.List;
import java.util.SplittableRandom;

/** One visually distinct kind of image with its own questions; the image alone decides each answer. */
interface SyntheticDomain {

    /** The name used in paths, ids and the samples' {@code domain} field. */
    String name();

    /** Every question this domain asks, each with every answer it can have. */
    List<SyntheticQuestion> questions();

    /** Draws one image and asks one question about it; all randomness comes from {@code random}. */
    Drawing draw(SplittableRandom random);

    record Drawing(Raster image, String question, String answer) {}

    /** Picks uniformly from a list: the answers' distribution within a question stays uniform. */
    static <T> T pick(SplittableRandom random, List<T> choices) {
        return choices.get(random.nextInt(choices.size()));
    }
}
