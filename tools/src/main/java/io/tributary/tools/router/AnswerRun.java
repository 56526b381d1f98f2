package io.tributary.tools.router;

import io.tributary.model.NativeTarget;
import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;
import io.tributary.routing.decode.DecodeScheduler;
import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.GenerationListener;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.decode.GenerationResult;
import io.tributary.routing.decode.StoppingCriteria;
import io.tributary.routing.router.Router;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.server.mixture.ServedModel;
import io.tributary.tools.train.ExampleEncoder;
import io.tributary.tools.train.QuestionAnswer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;

/**
 * Greedy answers to a list of image questions, decoded by a served model with the engine the server runs: every
 * question is submitted to one batched decode scheduler, as concurrent requests would be.
 */
final class AnswerRun {

    private static final int BATCH = 64;
    private static final ThreadFactory INFERENCE_THREADS = work -> new Thread(
            () -> {
                NativeTarget.prepareInferenceThread();
                work.run();
            },
            "evaluate-decode");

    private final List<QuestionAnswer> samples;
    private final List<ImageInput> images;
    private final int maxNewTokens;

    AnswerRun(List<QuestionAnswer> samples, int maxNewTokens) {
        this.samples = samples;
        this.maxNewTokens = maxNewTokens;
        this.images = samples.stream().map(AnswerRun::image).toList();
    }

    /**
     * @param texts    each sample's generated answer
     * @param correct  whether it matches the reference
     * @param dominant each sample's expert of largest weight on its first answer token
     */
    record Answers(List<String> texts, boolean[] correct, int[] dominant) {
        /** The expert each sample was routed to (under hard routing: its cluster). */
        int[] dominantExperts() {
            return dominant.clone();
        }
    }

    Answers answer(ServedModel model, Router router) {
        List<Answer> answers = new ArrayList<>(samples.size());
        try (DecodeScheduler scheduler = new DecodeScheduler(
                model.mixture(),
                new DecodeScheduler.Limits(BATCH, samples.size(), 2048, Long.MAX_VALUE),
                INFERENCE_THREADS)) {
            for (int i = 0; i < samples.size(); i++) {
                int[] tokens = model.prompts()
                        .encode(ExampleEncoder.prompt(samples.get(i).question()));
                Answer answer = new Answer();
                scheduler.submit(model.mixture()
                        .start(
                                new GenerationRequest(
                                        new Prompt(tokens, List.of(images.get(i))),
                                        SamplingParams.GREEDY,
                                        new StoppingCriteria(maxNewTokens, List.of(), false),
                                        router),
                                answer));
                answers.add(answer);
            }
            List<String> texts = new ArrayList<>(samples.size());
            boolean[] correct = new boolean[samples.size()];
            int[] dominant = new int[samples.size()];
            for (int i = 0; i < samples.size(); i++) {
                Answer answer = answers.get(i);
                texts.add(answer.result.join().generatedText());
                correct[i] = ExampleEncoder.matches(texts.get(i), samples.get(i).answer());
                dominant[i] = answer.dominant;
            }
            return new Answers(texts, correct, dominant);
        }
    }

    private static ImageInput image(QuestionAnswer sample) {
        try {
            return new ImageInput(Files.readAllBytes(sample.image()), "image/png");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One request's result and the expert that weighed most on its first token. */
    private static final class Answer implements GenerationListener {
        final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
        int dominant = -1;

        @Override
        public void onToken(GeneratedToken token) {
            if (token.index() == 0 && token.expertWeights() != null) {
                double[] weights = token.expertWeights();
                int best = 0;
                for (int k = 1; k < weights.length; k++) {
                    best = weights[k] > weights[best] ? k : best;
                }
                dominant = best;
            }
        }

        @Override
        public void onFinish(GenerationResult finished) {
            result.complete(finished);
        }

        @Override
        public void onError(Throwable error) {
            result.completeExceptionally(error);
        }
    }
}
