package io.tributary.model.llava;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.image.PixelValues;
import io.tributary.model.tiny.TinyLlava;
import io.tributary.model.tiny.TinyLlavaSpec;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.ImageEncoding;
import io.tributary.routing.Prompt;
import io.tributary.routing.refusal.ImageRefusedException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The DJL LLaVA path against {@link ReferenceLlava}, stage by stage and end to end, on a sharp tiny checkpoint of
 * LlavaVisionText2TextModelTester's sizes with grouped kv heads.
 */
class LlavaReferenceTest {

    private static final int IMAGE = TinyLlavaSpec.IMAGE_TOKEN_ID;
    private static final TinyLlavaSpec SPEC =
            TinyLlavaSpec.forTests().withSharpWeights(true).withKvHeads(2);

    @TempDir
    static Path dir;

    private static LlavaExpert expert;
    private static ReferenceLlava reference;
    private static final TestImages IMAGES = new TestImages(SPEC.imageSize());

    @BeforeAll
    static void load() throws Exception {
        TinyLlava.write(dir, SPEC, 11);
        expert = LlavaExpert.load("llava", dir, LoadOptions.cpu(), IMAGES);
        reference = new ReferenceLlava(dir);
    }

    @AfterAll
    static void close() {
        expert.close();
    }

    @Test
    void patchEmbeddingClassTokenAndPositionsMatch() {
        PixelValues pixels = IMAGES.pixels(1);
        try (NDManager step = step()) {
            NDArray embeddings = vision(step, pixels, 0).get(0);
            assertRowsClose(embeddings.get(0).toFloatArray(), reference.clipHiddenStates(pixels.data())[0], 1e-4);
        }
    }

    @Test
    void encoderLayersAttentionAndMlpMatch() {
        PixelValues pixels = IMAGES.pixels(2);
        double[][][] expected = reference.clipHiddenStates(pixels.data());
        try (NDManager step = step()) {
            List<NDArray> states = vision(step, pixels, SPEC.visionLayers());
            for (int layer = 1; layer <= SPEC.visionLayers(); layer++) {
                assertRowsClose(states.get(layer).get(0).toFloatArray(), expected[layer], 1e-4);
            }
        }
    }

    @Test
    void selectedFeaturesDropTheClassTokenAndProjectorMatches() {
        PixelValues pixels = IMAGES.pixels(3);
        try (NDManager step = step()) {
            NDArray selected = expert.model().selectedFeatures(List.of(pixels), step);
            assertThat(selected.getShape().get(1)).isEqualTo(SPEC.tokensPerImage());
            assertRowsClose(selected.get(0).toFloatArray(), reference.selectedFeatures(pixels.data()), 1e-4);
            NDArray projected = expert.model().imageFeatures(List.of(pixels), step);
            assertRowsClose(projected.get(0).toFloatArray(), reference.projected(pixels.data()), 1e-4);
        }
    }

    @Test
    void spliceFillsEachPlaceholderWithItsImage() {
        int[] prompt = {1, 40, IMAGE, 41, 42, IMAGE, 43};
        List<PixelValues> pixels = List.of(IMAGES.pixels(4), IMAGES.pixels(5));
        ImagePlaceholders expanded = ImagePlaceholders.expand(prompt, IMAGE, SPEC.tokensPerImage(), 2);
        try (NDManager step = step()) {
            NDArray embeddings = expert.model().embed(expanded, expert.model().runTower(pixels, step), step);
            double[][] expected = reference.splicedEmbeddings(
                    prompt, List.of(pixels.get(0).data(), pixels.get(1).data()));
            assertThat(embeddings.getShape().get(0)).isEqualTo(prompt.length + 2 * (SPEC.tokensPerImage() - 1));
            assertRowsClose(embeddings.toFloatArray(), expected, 1e-4);
        }
    }

    @Test
    void logitsOfAPromptWithImagesMatchAtEveryDecodedPosition() {
        int[] prompt = {1, 50, 60, IMAGE, 70, 80, IMAGE, 90};
        int[] appended = {100, 7, 300, 12, 5};
        List<float[]> images = List.of(IMAGES.pixels(6).data(), IMAGES.pixels(7).data());
        double[][] expected = reference.logProbs(prompt, images, appended);
        int promptPositions = prompt.length + 2 * (SPEC.tokensPerImage() - 1);
        try (ExpertSession session =
                expert.open(new Prompt(prompt, List.of(TestImages.image(6), TestImages.image(7))))) {
            assertThat(session.imageEncoding())
                    .as("not encoded before the prefill")
                    .isNull();
            assertClose(session.nextLogProbs(), expected[promptPositions - 1]);
            ImageEncoding encoded = session.imageEncoding();
            assertThat(encoded.images()).isEqualTo(2);
            assertThat(encoded.endNanos()).isGreaterThan(encoded.startNanos());
            for (int i = 0; i < appended.length; i++) {
                session.append(appended[i]);
                assertClose(session.nextLogProbs(), expected[promptPositions + i]);
            }
            assertThat(session.length()).isEqualTo(promptPositions + appended.length);
            assertThat(session.imageEncoding())
                    .as("encoded once, in the prefill")
                    .isSameAs(encoded);
        }
    }

    @Test
    void greedyDecodingAgreesTokenForTokenOver32Tokens() {
        int[] prompt = {1, 33, IMAGE, 34, 35};
        List<float[]> images = List.of(IMAGES.pixels(8).data());
        List<Integer> djl = new ArrayList<>();
        try (ExpertSession session = expert.open(new Prompt(prompt, List.of(TestImages.image(8))))) {
            for (int i = 0; i < 32; i++) {
                int next = argmax(session.nextLogProbs());
                djl.add(next);
                session.append(next);
            }
        }
        int[] generated = new int[0];
        for (int i = 0; i < 32; i++) {
            double[][] logProbs = reference.logProbs(prompt, images, generated);
            double[] last = logProbs[logProbs.length - 1];
            int next = 0;
            for (int v = 1; v < last.length; v++) {
                next = last[v] > last[next] ? v : next;
            }
            generated = Arrays.copyOf(generated, generated.length + 1);
            generated[generated.length - 1] = next;
        }
        assertThat(djl)
                .containsExactlyElementsOf(Arrays.stream(generated).boxed().toList());
        assertThat(djl.stream().distinct().count())
                .as("a sharp model does not repeat one token")
                .isGreaterThan(3);
    }

    @Test
    void promptLogLikelihoodCountsTextPositionsOnly() {
        int[] prompt = {1, 20, IMAGE, 21, 22};
        double[][] logProbs =
                reference.logProbs(prompt, List.of(IMAGES.pixels(9).data()));
        int n = SPEC.tokensPerImage();
        // Expanded: 1, 20, n image rows, 21, 22. Text targets: 20 (after 1), 21 (after the image), 22.
        double expected = logProbs[0][20] + logProbs[1 + n][21] + logProbs[2 + n][22];
        try (ExpertSession session = expert.open(new Prompt(prompt, List.of(TestImages.image(9))))) {
            assertThat(session.promptLogLikelihood()).isCloseTo(expected, within(1e-3));
            assertClose(session.nextLogProbs(), logProbs[logProbs.length - 1]);
        }
    }

    @Test
    void placeholdersMustMatchImages() {
        assertThatThrownBy(() -> expert.open(new Prompt(new int[] {1, IMAGE, IMAGE}, List.of(TestImages.image(1)))))
                .isInstanceOf(ImageRefusedException.class)
                .hasMessageContaining("2 image placeholder token(s)")
                .hasMessageContaining("1 image(s)");
        assertThatThrownBy(() -> expert.open(new Prompt(new int[] {1, 5}, List.of(TestImages.image(1)))))
                .isInstanceOf(ImageRefusedException.class)
                .hasMessageContaining("0 image placeholder");
        assertThatThrownBy(() -> expert.open(new Prompt(new int[] {1, IMAGE}, List.of())))
                .isInstanceOf(ImageRefusedException.class);
        assertThatThrownBy(() -> expert.open(new Prompt(
                        new int[] {1, IMAGE}, List.of(new io.tributary.routing.ImageInput(new byte[0], "image/png")))))
                .isInstanceOf(ImageRefusedException.class)
                .hasMessageContaining("not a test image");
    }

    @Test
    void sessionsReleaseTheirNativeMemory() {
        int baseline = expert.liveArrays();
        try (ExpertSession session = expert.open(new Prompt(new int[] {1, IMAGE, 5}, List.of(TestImages.image(3))))) {
            session.nextLogProbs();
            session.append(4);
            session.nextLogProbs();
        }
        assertThat(expert.liveArrays()).isEqualTo(baseline);
    }

    private static NDManager step() {
        NativeTarget.prepareInferenceThread();
        return NDManager.newBaseManager();
    }

    private static List<NDArray> vision(NDManager step, PixelValues pixels, int last) {
        var vision = expert.model();
        return vision.vision().hiddenStates(vision.vision().pixels(List.of(pixels), step), last);
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            best = values[i] > values[best] ? i : best;
        }
        return best;
    }

    private static void assertRowsClose(float[] actual, double[][] expected, double tolerance) {
        int width = expected[0].length;
        assertThat(actual).hasSize(expected.length * width);
        for (int t = 0; t < expected.length; t++) {
            for (int i = 0; i < width; i++) {
                assertThat((double) actual[t * width + i])
                        .as("row %d, column %d", t, i)
                        .isCloseTo(expected[t][i], within(tolerance));
            }
        }
    }

    private static void assertClose(float[] actual, double[] expected) {
        double spread = Arrays.stream(expected).max().orElseThrow()
                - Arrays.stream(expected).min().orElseThrow();
        assertThat(spread)
                .as("the test model must be far from uniform to catch bugs")
                .isGreaterThan(1.0);
        assertThat(actual).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("token %d", i).isCloseTo(expected[i], within(1e-4));
        }
    }
}
