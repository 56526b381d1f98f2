package io.tributary.tools.router;

import io.tributary.model.image.ClipImageProcessor;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.llava.TrainableLlava;
import io.tributary.model.tiny.TinyLlava;
import io.tributary.model.tiny.TinyLlavaSpec;
import io.tributary.model.tokenizer.HfTokenizer;
import io.tributary.tools.train.AdamW;
import io.tributary.tools.train.ExampleEncoder;
import io.tributary.tools.train.LearningRate;
import io.tributary.tools.train.LlavaTrainer;
import io.tributary.tools.train.QuestionAnswer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Trains one LLaVA expert on a dataset's question–answer samples with Tributary's own model code, and writes it as
 * a checkpoint directory with {@code training.json} (settings, losses, parameter count, time).
 */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = "Train a LLaVA expert on a LLaVA .json / InternVL .jsonl dataset (next-token loss on answers).")
final class TrainCommand implements Callable<Integer> {

    static final String REPORT = "training.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--dataset", required = true, description = "Training samples (one image each).")
    Path dataset;

    @Option(names = "--image-root", description = "Where the dataset's image paths start (default: its folder).")
    Path imageRoot;

    @Option(names = "--base", description = "Checkpoint to start from (default: a new tiny LLaVA from --init-seed).")
    Path base;

    @Option(
            names = "--init-seed",
            defaultValue = "1",
            description = "Seed of the new tiny LLaVA's weights when no --base is given (default: 1).")
    long initSeed;

    @Option(
            names = {"-o", "--out"},
            required = true,
            description = "Output checkpoint directory.")
    Path out;

    @Option(names = "--steps", defaultValue = "800", description = "Optimiser steps (default: 800).")
    int steps;

    @Option(names = "--batch-size", defaultValue = "32", description = "Samples per step (default: 32).")
    int batchSize;

    @Option(names = "--lr", defaultValue = "3e-3", description = "Peak learning rate (default: 3e-3).")
    double learningRate;

    @Option(names = "--warmup", defaultValue = "40", description = "Warm-up steps (default: 40).")
    int warmup;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the sample order (default: 1).")
    long seed;

    @Option(
            names = "--train-tower",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description = "Train the vision tower too (default: true; --no-train-tower keeps it frozen).")
    boolean trainTower;

    @Option(names = "--log-every", defaultValue = "50", description = "Steps between progress lines (default: 50).")
    int logEvery;

    @Override
    public Integer call() throws IOException {
        List<QuestionAnswer> samples = QaSamples.read(dataset, imageRoot);
        Path fresh = base == null ? Files.createTempDirectory("tributary-init-") : null;
        try {
            if (fresh != null) {
                TinyLlava.write(fresh, TinyLlavaSpec.trainable(), initSeed);
            }
            train(samples, fresh != null ? fresh : base);
        } finally {
            if (fresh != null) {
                Directories.delete(fresh);
            }
        }
        return 0;
    }

    private void train(List<QuestionAnswer> samples, Path start) throws IOException {
        LlavaTrainer.Settings settings = new LlavaTrainer.Settings(
                steps,
                batchSize,
                new LearningRate(learningRate, warmup, steps, 0.05),
                AdamW.Settings.defaults(),
                trainTower,
                seed,
                logEvery);
        LlavaTrainer.Report report;
        try (HfTokenizer tokenizer = HfTokenizer.load(start);
                TrainableLlava model = TrainableLlava.open(start)) {
            int endOfSequence = tokenizer
                    .specialTokenId("</s>")
                    .orElseThrow(() -> new IllegalArgumentException(start + ": the tokenizer has no </s> token"));
            ExampleEncoder encoder = new ExampleEncoder(
                    tokenizer, ClipImageProcessor.forCheckpoint(start, ImageLimits.DEFAULT), endOfSequence);
            System.err.printf(
                    Locale.ROOT,
                    "training on %d samples of %s: %d steps of %d%n",
                    samples.size(),
                    dataset,
                    steps,
                    batchSize);
            report = LlavaTrainer.train(model, encoder.encodeAll(samples), settings, System.err::println);
            model.save(out);
        }
        Files.writeString(
                out.resolve(REPORT),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report(samples.size(), settings, report))
                        + "\n");
        System.err.printf(
                Locale.ROOT,
                "wrote %s: %,d parameters trained, loss %.3f → %.3f, %.0f s%n",
                out,
                report.parameters(),
                report.firstLoss(),
                report.lastLoss(),
                report.seconds());
    }

    private ObjectNode report(int samples, LlavaTrainer.Settings settings, LlavaTrainer.Report report) {
        ObjectNode node = JSON.createObjectNode();
        node.put("dataset", dataset.toString());
        node.put("samples", samples);
        node.put("steps", settings.steps());
        node.put("batch_size", settings.batchSize());
        node.put("examples_seen", settings.examples());
        node.put("peak_learning_rate", learningRate);
        node.put("seed", seed);
        if (base == null) {
            node.put("init_seed", initSeed);
        } else {
            node.put("base", base.toString());
        }
        node.put("train_tower", trainTower);
        node.put("parameters_trained", report.parameters());
        node.put("seconds", report.seconds());
        report.losses().forEach(node.putArray("losses")::add);
        return node;
    }
}
