package io.tributary.tools.train.synthetic;

import java.util.List;

/**
 * A question a domain asks and every answer it can have: the vocabulary a tiny expert must learn to produce.
 *
 * @param text the question as the sample's human turn carries it, after the image placeholder
 * @param answers the possible answers, each a single short word
 */
public record SyntheticQuestion(String text, List<String> answers) {

    public SyntheticQuestion {
        answers = List.copyOf(answers);
    }
}
