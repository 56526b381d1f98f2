package io.tributary.tools.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.clip.TrainableClip;
import io.tributary.model.image.PixelValues;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;

/**
 * CLIP-style pretraining of a router's image encoder on image–text pairs whose text is the question asked about the
 * image: CLIP's objective with the text tower reduced to one learned embedding per distinct question. Each image's
 * projected embedding is pulled towards its question's embedding and away from the others' (cross-entropy over
 * scaled cosines), so images that are asked the same kinds of questions end up close together: what a router's
 * clustering needs, and what a pretrained CLIP gives a real model.
 */
public final class EncoderTrainer {

    private EncoderTrainer() {}

    /** One training pair: the image and the index of its question among the distinct questions. */
    public record Pair(PixelValues image, int text) {}

    /**
     * @param logitScale the cosines' scale in the softmax (CLIP learns its own, about 100; a fixed 10 suits a few
     *                   dozen dimensions)
     */
    public record Settings(
            int steps,
            int batchSize,
            LearningRate rate,
            AdamW.Settings optimiser,
            long seed,
            int logEvery,
            double logitScale) {}

    public static LlavaTrainer.Report train(
            TrainableClip encoder, List<Pair> pairs, int texts, Settings settings, Consumer<String> log) {
        if (pairs.isEmpty() || texts < 2) {
            throw new IllegalArgumentException("encoder training needs pairs and at least two distinct texts");
        }
        long started = System.nanoTime();
        NativeTarget.setIntraOpThreads(1);
        NativeTarget.prepareInferenceThread();
        List<Double> losses = new ArrayList<>();
        try (NDManager manager = NativeTarget.newModelManager(LoadOptions.cpu(), "encoder-steps")) {
            int dimension = encoder.config().projectionDim();
            float[] initial = new float[texts * dimension]; // the reduced text tower, drawn from the seed
            Random random = new Random(settings.seed());
            for (int i = 0; i < initial.length; i++) {
                initial[i] = (float) random.nextGaussian();
            }
            NDArray textEmbeddings = manager.create(initial, new Shape(texts, dimension));
            List<NDArray> parameters = new ArrayList<>(encoder.parameters());
            parameters.add(textEmbeddings);
            long count = 0;
            for (NDArray parameter : parameters) {
                parameter.setRequiresGradient(true);
                count += parameter.size();
            }
            ShuffledBatches<Pair> batches = new ShuffledBatches<>(pairs, settings.batchSize(), settings.seed());
            try (AdamW optimiser = new AdamW(parameters, settings.optimiser(), manager)) {
                double interval = 0;
                int steps = 0;
                for (int step = 0; step < settings.steps(); step++) {
                    interval +=
                            lossAndGradients(encoder, batches.next(), textEmbeddings, settings.logitScale(), manager);
                    steps++;
                    optimiser.step(settings.rate().at(step));
                    if ((step + 1) % settings.logEvery() == 0 || step + 1 == settings.steps()) {
                        losses.add(interval / steps);
                        log.accept(String.format(
                                Locale.ROOT, "step %d/%d  loss %.4f", step + 1, settings.steps(), interval / steps));
                        interval = 0;
                        steps = 0;
                    }
                }
            } finally {
                parameters.forEach(parameter -> parameter.setRequiresGradient(false));
            }
            return new LlavaTrainer.Report(List.copyOf(losses), count, (System.nanoTime() - started) / 1e9);
        }
    }

    private static double lossAndGradients(
            TrainableClip encoder, List<Pair> batch, NDArray textEmbeddings, double logitScale, NDManager manager) {
        try (NDManager step = manager.newSubManager();
                GradientCollector collector =
                        Engine.getEngine(NativeTarget.ENGINE).newGradientCollector()) {
            NDArray images =
                    unit(encoder.imageEmbeds(batch.stream().map(Pair::image).toList(), step)); // [B, P]
            NDArray texts = unit(textEmbeddings.get(step, new NDIndex(":"))); // [C, P]
            // Constants as arrays of the step: autograd keeps them for the backward pass.
            NDArray logits = images.matMul(texts.transpose()).mul(step.create((float) logitScale));
            long[] labels = batch.stream().mapToLong(Pair::text).toArray();
            NDArray picked = logits.logSoftmax(-1).gather(step.create(labels, new Shape(labels.length, 1)), 1);
            NDArray loss = picked.mean().neg();
            collector.backward(loss);
            return loss.getFloat();
        }
    }

    /** Rows scaled to unit length. */
    private static NDArray unit(NDArray rows) {
        NDArray norms = rows.square()
                .sum(new int[] {-1}, true)
                .add(rows.getManager().create(1e-12f))
                .sqrt();
        return rows.div(norms);
    }
}
