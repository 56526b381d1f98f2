package io.tributary.tools.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.llava.TrainableLlava;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Trains a LLaVA checkpoint on question–answer examples: next-token loss on the answer tokens only, through the
 * model's own forward pass ({@link TrainableLlava}), AdamW with warm-up and cosine decay. The example order is
 * drawn from the seed, so two runs with the same seed, data and settings write the same weights.
 */
public final class LlavaTrainer {

    private LlavaTrainer() {}

    /**
     * @param steps      optimiser steps
     * @param batchSize  examples per step
     * @param rate       the learning-rate schedule
     * @param optimiser  AdamW's settings
     * @param trainTower whether the CLIP tower learns too (the projector and decoder always do)
     * @param seed       the example order
     * @param logEvery   steps between progress lines
     */
    public record Settings(
            int steps,
            int batchSize,
            LearningRate rate,
            AdamW.Settings optimiser,
            boolean trainTower,
            long seed,
            int logEvery) {
        public Settings {
            if (steps <= 0 || batchSize <= 0 || logEvery <= 0) {
                throw new IllegalArgumentException("steps, batch size and log interval must be positive");
            }
        }

        /** Examples the run reads: a budget two runs of different data sizes can be matched on. */
        public long examples() {
            return (long) steps * batchSize;
        }
    }

    /**
     * @param losses     mean answer loss (nats per token) of each logged interval
     * @param parameters trained parameter count
     * @param seconds    wall time
     */
    public record Report(List<Double> losses, long parameters, double seconds) {
        public double firstLoss() {
            return losses.get(0);
        }

        public double lastLoss() {
            return losses.get(losses.size() - 1);
        }
    }

    public static Report train(
            TrainableLlava model, List<TrainableLlava.Example> examples, Settings settings, Consumer<String> log) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("no training examples");
        }
        long started = System.nanoTime();
        // One intra-op thread: small matmuls gain little from a second one, and a run does not depend on how work
        // was split between threads. Independent experts train in parallel processes instead.
        NativeTarget.setIntraOpThreads(1);
        NativeTarget.prepareInferenceThread(); // autograd off, except inside each step's gradient collector
        List<NDArray> parameters = model.parameters(settings.trainTower());
        long count = 0;
        for (NDArray parameter : parameters) {
            parameter.setRequiresGradient(true);
            count += parameter.size();
        }
        List<Double> losses = new ArrayList<>();
        ShuffledBatches<TrainableLlava.Example> batches =
                new ShuffledBatches<>(examples, settings.batchSize(), settings.seed());
        try (NDManager manager = NativeTarget.newModelManager(LoadOptions.cpu(), "training-steps");
                AdamW optimiser = new AdamW(parameters, settings.optimiser(), manager)) {
            double intervalLoss = 0;
            int intervalSteps = 0;
            for (int step = 0; step < settings.steps(); step++) {
                intervalLoss += lossAndGradients(model, batches.next(), manager);
                intervalSteps++;
                double rate = settings.rate().at(step);
                double norm = optimiser.step(rate);
                if ((step + 1) % settings.logEvery() == 0 || step + 1 == settings.steps()) {
                    losses.add(intervalLoss / intervalSteps);
                    log.accept(String.format(
                            Locale.ROOT,
                            "step %d/%d  loss %.4f  grad norm %.3f  lr %.2e",
                            step + 1,
                            settings.steps(),
                            intervalLoss / intervalSteps,
                            norm,
                            rate));
                    intervalLoss = 0;
                    intervalSteps = 0;
                }
            }
        } finally {
            parameters.forEach(parameter -> parameter.setRequiresGradient(false));
        }
        return new Report(List.copyOf(losses), count, (System.nanoTime() - started) / 1e9);
    }

    /** Mean negative log-likelihood of the batch's answer tokens; leaves its gradients on the parameters. */
    private static double lossAndGradients(
            TrainableLlava model, List<TrainableLlava.Example> batch, NDManager manager) {
        try (NDManager step = manager.newSubManager();
                GradientCollector collector =
                        Engine.getEngine(NativeTarget.ENGINE).newGradientCollector()) {
            NDArray loss = model.answerLogProbs(batch, step).mean().neg();
            collector.backward(loss);
            return loss.getFloat();
        }
    }
}
