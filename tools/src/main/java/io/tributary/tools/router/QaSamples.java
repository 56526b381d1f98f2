package io.tributary.tools.router;

import io.tributary.tools.train.QuestionAnswer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The single-image question–answer samples of a LLaVA / InternVL dataset: what training and evaluation read. */
final class QaSamples {

    private QaSamples() {}

    /**
     * Each sample with exactly one image, as its first exchange; a sample without an image or with several is
     * refused, since the tiny experts read one image a prompt.
     *
     * @param imageRoot where image paths start; null for the dataset's folder
     */
    static List<QuestionAnswer> read(Path dataset, Path imageRoot) {
        Path root = imageRoot != null ? imageRoot : dataset.toAbsolutePath().getParent();
        List<QuestionAnswer> samples = new ArrayList<>();
        for (Datasets.Sample sample : Datasets.read(dataset)) {
            if (sample.images().size() != 1) {
                throw new IllegalArgumentException(dataset + ": sample "
                        + sample.node().path("id") + " has " + sample.images().size()
                        + " images; training and evaluation read samples of one image");
            }
            ResponseScorer.Exchange exchange = ResponseScorer.Exchange.of(sample.node());
            samples.add(new QuestionAnswer(
                    sample.node().path("id").asString(""),
                    sample.node().path("domain").asString(""),
                    root.resolve(sample.images().get(0)),
                    exchange.question(),
                    exchange.answer()));
        }
        if (samples.isEmpty()) {
            throw new IllegalArgumentException(dataset + ": no samples");
        }
        return samples;
    }
}
