package io.tributary.tools.router;

import io.tributary.model.clip.TrainableClip;
import io.tributary.model.image.ClipImageProcessor;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.image.PixelValues;
import io.tributary.model.tiny.TinyClip;
import io.tributary.model.tiny.TinyLlavaSpec;
import io.tributary.routing.ImageInput;
import io.tributary.tools.train.AdamW;
import io.tributary.tools.train.EncoderTrainer;
import io.tributary.tools.train.LearningRate;
import io.tributary.tools.train.LlavaTrainer;
import io.tributary.tools.train.QuestionAnswer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Pretrains a router's CLIP encoder on a dataset's images and the questions asked about them (see
 * {@link EncoderTrainer}), when no pretrained CLIP fits the images: the features it then gives cluster images by
 * the kind of question they answer.
 */
@Command(
        name = "train-encoder",
        mixinStandardHelpOptions = true,
        description = "Pretrain a router's CLIP encoder on a dataset's images and questions (CLIP's objective).")
final class TrainEncoderCommand implements Callable<Integer> {

    @Option(names = "--dataset", required = true, description = "Samples of one image each.")
    Path dataset;

    @Option(names = "--image-root", description = "Where the dataset's image paths start (default: its folder).")
    Path imageRoot;

    @Option(names = "--clip", description = "CLIP checkpoint to start from (default: a new tiny CLIP).")
    Path clip;

    @Option(names = "--init-seed", defaultValue = "1", description = "Seed of a new tiny CLIP (default: 1).")
    long initSeed;

    @Option(
            names = {"-o", "--out"},
            required = true,
            description = "Output CLIP checkpoint directory.")
    Path out;

    @Option(names = "--steps", defaultValue = "300", description = "Optimiser steps (default: 300).")
    int steps;

    @Option(names = "--batch-size", defaultValue = "64", description = "Images per step (default: 64).")
    int batchSize;

    @Option(names = "--lr", defaultValue = "3e-3", description = "Peak learning rate (default: 3e-3).")
    double learningRate;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the order and text embeddings (1).")
    long seed;

    @Override
    public Integer call() throws IOException {
        List<QuestionAnswer> samples = QaSamples.read(dataset, imageRoot);
        Path fresh = clip == null ? Files.createTempDirectory("tributary-clip-") : null;
        try {
            if (fresh != null) {
                TinyClip.write(fresh, TinyLlavaSpec.trainable(), initSeed, false);
            }
            train(samples, fresh != null ? fresh : clip);
        } finally {
            if (fresh != null) {
                Directories.delete(fresh);
            }
        }
        return 0;
    }

    private void train(List<QuestionAnswer> samples, Path start) throws IOException {
        ClipImageProcessor images = ClipImageProcessor.forCheckpoint(start, ImageLimits.DEFAULT);
        Map<String, Integer> questions = new LinkedHashMap<>();
        List<EncoderTrainer.Pair> pairs = new ArrayList<>(samples.size());
        for (QuestionAnswer sample : samples) {
            List<PixelValues> pixels = images.process(new ImageInput(Files.readAllBytes(sample.image()), "image/png"));
            pairs.add(new EncoderTrainer.Pair(
                    pixels.get(0), questions.computeIfAbsent(sample.question(), question -> questions.size())));
        }
        System.err.printf(
                Locale.ROOT,
                "training an encoder on %d images and %d distinct questions%n",
                pairs.size(),
                questions.size());
        EncoderTrainer.Settings settings = new EncoderTrainer.Settings(
                steps,
                batchSize,
                new LearningRate(learningRate, Math.min(20, steps / 10), steps, 0.05),
                AdamW.Settings.defaults(),
                seed,
                Math.max(1, steps / 5),
                10);
        try (TrainableClip encoder = TrainableClip.open(start)) {
            LlavaTrainer.Report report =
                    EncoderTrainer.train(encoder, pairs, questions.size(), settings, System.err::println);
            encoder.save(out);
            System.err.printf(
                    Locale.ROOT,
                    "wrote %s: loss %.3f → %.3f, %.0f s%n",
                    out,
                    report.firstLoss(),
                    report.lastLoss(),
                    report.seconds());
        }
    }
}
