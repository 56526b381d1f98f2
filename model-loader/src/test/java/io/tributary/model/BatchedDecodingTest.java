package io.tributary.model;

import io.tributary.model.decoder.BatchDecoder;
import io.tributary.model.decoder.DecoderExpert;
import io.tributary.model.internvl.InternVlLayout;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.tiny.TinyCheckpoints;
import io.tributary.model.tiny.TinyInternVl;
import io.tributary.model.tiny.TinyLlamaSpec;
import io.tributary.model.tiny.TinyLlava;
import io.tributary.model.tiny.TinyLlavaSpec;
import io.tributary.routing.BatchEntry;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertBatch;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Batched decoding is decoding: for every family, sequences of different lengths (with and without images) that
 * join and leave a running batch, with prompts prefilled a few positions a step, get the same distributions (within
 * 1e-4) and the same greedy tokens as each decoded alone, and the same prompt likelihood when scored in chunks.
 */
class BatchedDecodingTest {

    private static final int CHUNK = 5;
    // Per sequence: the step it joins at and how many tokens it generates. Sequence 4 takes blocks sequence 0 left;
    // sequence 2 leaves while 1 and 3 run on.
    private static final int[] JOIN_AT = {0, 0, 1, 2, 4, 9};
    static final int[] TOKENS = {3, 9, 5, 12, 4, 7};

    /** LLAMA_SPLIT: MLP weights of 2.2 MB, so they are multiplied on two cores (see RowSplit). */
    enum Family {
        LLAMA,
        LLAMA_SPLIT,
        LLAVA,
        INTERNVL
    }

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Family.class)
    void batchedStepsEqualEachSequenceDecodedAlone(Family family) throws IOException {
        try (Expert expert = ExpertLoader.withBuiltInFamilies().load("x", write(family), LoadOptions.cpu())) {
            List<Prompt> prompts = prompts(family);
            List<List<float[]>> alone = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                alone.add(decodeAlone(expert, prompts.get(i), TOKENS[i]));
            }
            List<List<float[]>> batched = decodeBatched(expert, prompts);
            for (int i = 0; i < prompts.size(); i++) {
                assertThat(batched.get(i)).as("sequence %d", i).hasSize(TOKENS[i]);
                for (int t = 0; t < TOKENS[i]; t++) {
                    assertThat(argmax(batched.get(i).get(t)))
                            .as("sequence %d token %d", i, t)
                            .isEqualTo(argmax(alone.get(i).get(t)));
                    assertThat(batched.get(i).get(t))
                            .as("sequence %d token %d", i, t)
                            .containsExactly(alone.get(i).get(t), within(1e-4f));
                }
            }
            assertEveryBlockFreed(expert);
        }
    }

    /**
     * The same for weights packed into bf16, int8 and int4. Their kernels give bf16 outputs, the logits included (as a
     * bf16 model's do in vLLM), and a batch and a single row may round a logit differently: one bf16 step is 2^-8 of
     * its magnitude, 0.06 for logits between 8 and 16. A step of many rows also multiplies int8 and int4 weights
     * widened to bf16 where a few rows go through the weight-only kernels, rounding differently on the way (for int4,
     * the weight itself once more). So log-probabilities agree within 2% plus 0.05, and the greedy token wherever the
     * top two are further apart than 0.3.
     */
    @ParameterizedTest
    @MethodSource("familiesAndPackedFormats")
    void packedWeightsDecodeBatchedAsAlone(Family family, Quantization quantization, Precision precision)
            throws IOException {
        LoadOptions options = LoadOptions.cpu().withPrecision(precision).withQuantization(quantization, 32);
        try (Expert expert = ExpertLoader.withBuiltInFamilies().load("x", write(family), options)) {
            List<Prompt> prompts = prompts(family);
            List<List<float[]>> alone = new ArrayList<>();
            List<int[]> answers = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                alone.add(decodeAlone(expert, prompts.get(i), TOKENS[i]));
                answers.add(alone.get(i).stream()
                        .mapToInt(BatchedDecodingTest::argmax)
                        .toArray());
            }
            List<List<float[]>> batched = decodeBatched(expert, prompts, answers);
            for (int i = 0; i < prompts.size(); i++) {
                for (int t = 0; t < TOKENS[i]; t++) {
                    float[] expected = alone.get(i).get(t);
                    float[] actual = batched.get(i).get(t);
                    for (int v = 0; v < expected.length; v++) {
                        assertThat(actual[v])
                                .as("sequence %d token %d id %d", i, t, v)
                                .isCloseTo(expected[v], within(0.02f * Math.abs(expected[v]) + 0.05f));
                    }
                    if (topTwoGap(expected) > 0.3f) {
                        assertThat(argmax(batched.get(i).get(t))).isEqualTo(argmax(expected));
                    }
                }
            }
            assertEveryBlockFreed(expert);
        }
    }

    /** No session holds a block: once the blocks kept for prefix reuse are dropped, the cache holds nothing. */
    static void assertEveryBlockFreed(Expert expert) {
        BatchDecoder decoder = ((DecoderExpert) expert).batchDecoder();
        assertThat(decoder.kvCacheUsage().heldBlocks()).isZero();
        decoder.resetPrefixCache();
        assertThat(((NativeMemory) expert).kvCacheBytes())
                .as("every block freed")
                .isZero();
    }

    static Stream<Arguments> familiesAndPackedFormats() {
        List<Arguments> cases = new ArrayList<>();
        for (Family family : List.of(Family.LLAMA, Family.LLAVA, Family.INTERNVL)) {
            cases.add(Arguments.of(family, Quantization.NONE, Precision.BF16));
            cases.add(Arguments.of(family, Quantization.INT8, Precision.FP32));
            cases.add(Arguments.of(family, Quantization.INT4, Precision.FP32));
        }
        return cases.stream();
    }

    @ParameterizedTest
    @EnumSource(Family.class)
    void promptScoredInChunksEqualsScoredAtOnce(Family family) throws IOException {
        try (Expert expert = ExpertLoader.withBuiltInFamilies().load("x", write(family), LoadOptions.cpu())) {
            Prompt prompt = prompts(family).get(3);
            double atOnce;
            float[] next;
            try (ExpertSession session = expert.open(prompt)) {
                atOnce = session.promptLogLikelihood();
                next = session.nextLogProbs();
            }
            try (ExpertSession session = expert.open(prompt)) {
                while (session.pendingPositions() > 0) {
                    expert.forward(ExpertBatch.of(session, Math.min(CHUNK, session.pendingPositions()), true));
                }
                assertThat(session.promptLogLikelihood()).isCloseTo(atOnce, within(1e-4));
                assertThat(session.nextLogProbs()).containsExactly(next, within(1e-4f));
            }
        }
    }

    /** Greedy decoding of one prompt alone: the distribution before each generated token. */
    static List<float[]> decodeAlone(Expert expert, Prompt prompt, int tokens) {
        List<float[]> steps = new ArrayList<>();
        try (ExpertSession session = expert.open(prompt)) {
            for (int t = 0; t < tokens; t++) {
                float[] logProbs = session.nextLogProbs();
                steps.add(logProbs);
                session.append(argmax(logProbs));
            }
        }
        return steps;
    }

    /**
     * All prompts through one batch, as a scheduler runs them: each step every running sequence's next token
     * and chunks of prompts being prefilled, one forward pass; sequences join at {@link #JOIN_AT} and leave after
     * {@link #TOKENS}.
     */
    static List<List<float[]>> decodeBatched(Expert expert, List<Prompt> prompts) {
        return decodeBatched(expert, prompts, null);
    }

    /**
     * As above, appending {@code answers.get(i)[t]} to sequence i after step t instead of its greedy token
     * ({@code null}: greedy), so that a near tie decided differently cannot send the two runs down different answers.
     */
    static List<List<float[]>> decodeBatched(Expert expert, List<Prompt> prompts, List<int[]> answers) {
        int n = prompts.size();
        ExpertSession[] sessions = new ExpertSession[n];
        List<List<float[]>> steps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            steps.add(new ArrayList<>());
        }
        for (int step = 0; steps.stream().mapToInt(List::size).sum() < sum(TOKENS); step++) {
            List<BatchEntry> entries = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (JOIN_AT[i] == step) {
                    sessions[i] = expert.open(prompts.get(i));
                }
                if (sessions[i] != null) {
                    int pending = sessions[i].pendingPositions();
                    entries.add(new BatchEntry(sessions[i], Math.min(CHUNK, pending), false));
                }
            }
            if (entries.isEmpty()) {
                continue;
            }
            expert.forward(new ExpertBatch(entries));
            for (int i = 0; i < n; i++) {
                ExpertSession session = sessions[i];
                if (session == null || session.pendingPositions() > 0) {
                    continue;
                }
                float[] logProbs = session.nextLogProbs();
                steps.get(i).add(logProbs);
                if (steps.get(i).size() == TOKENS[i]) {
                    session.close();
                    sessions[i] = null;
                } else {
                    session.append(
                            answers == null
                                    ? argmax(logProbs)
                                    : answers.get(i)[steps.get(i).size() - 1]);
                }
            }
        }
        return steps;
    }

    private Path write(Family family) throws IOException {
        Path checkpoint = dir.resolve(family.name().toLowerCase());
        switch (family) {
            case LLAMA -> TinyCheckpoints.writeLlama(checkpoint, TinyLlamaSpec.forTests(), 11);
            case LLAMA_SPLIT ->
                TinyCheckpoints.writeLlama(
                        checkpoint, new TinyLlamaSpec(128, 2, 4, 2, 4352, 256, false, SafetensorsDType.F32), 11);
            case LLAVA -> TinyLlava.write(checkpoint, TinyLlavaSpec.forTests(), 11);
            case INTERNVL -> TinyInternVl.write(checkpoint, TinyInternVl.Spec.forTests(), InternVlLayout.ORIGINAL, 11);
        }
        return checkpoint;
    }

    /** Six prompts of different lengths; for the vision families, three carry images of different sizes. */
    static List<Prompt> prompts(Family family) {
        Random random = new Random(7);
        int[] lengths = {3, 17, 6, 23, 2, 11};
        int placeholder = switch (family) {
            case LLAMA, LLAMA_SPLIT -> -1;
            case LLAVA -> TinyLlavaSpec.IMAGE_TOKEN_ID;
            case INTERNVL -> TinyInternVl.IMG_CONTEXT_ID;
        };
        List<Prompt> prompts = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) {
            int[] ids = random.ints(lengths[i], 2, 500).toArray();
            boolean withImage = placeholder >= 0 && i % 2 == 1;
            if (withImage) {
                ids[ids.length / 2] = placeholder;
            }
            prompts.add(new Prompt(ids, withImage ? List.of(png(48 + 40 * i, 64, i)) : List.of()));
        }
        return prompts;
    }

    private static ImageInput png(int width, int height, int seed) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(seed);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            ImageIO.write(image, "png", out);
            return new ImageInput(out.toByteArray(), "image/png");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    static float topTwoGap(float[] values) {
        float first = Float.NEGATIVE_INFINITY;
        float second = Float.NEGATIVE_INFINITY;
        for (float v : values) {
            if (v > first) {
                second = first;
                first = v;
            } else if (v > second) {
                second = v;
            }
        }
        return first - second;
    }

    private static int sum(int[] values) {
        int total = 0;
        for (int value : values) {
            total += value;
        }
        return total;
    }
}
