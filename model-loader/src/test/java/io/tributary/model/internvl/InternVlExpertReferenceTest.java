package io.tributary.model.internvl;

import ai.djl.ndarray.NDManager;
import io.tributary.model.ExpertLoader;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.image.PixelValues;
import io.tributary.model.tiny.TinyInternVl;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;
import io.tributary.routing.refusal.ImageRefusedException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.tributary.model.tiny.TinyInternVl.IMG_CONTEXT_ID;
import static io.tributary.model.tiny.TinyInternVl.IM_END_ID;
import static io.tributary.model.tiny.TinyInternVl.IM_START_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * A whole InternVL expert, loaded through the registry with the real image processor, against
 * {@link ReferenceInternVlChat} (plain loops, no DJL) on a sharp tiny checkpoint: a 2:1 PNG becomes two tiles and a
 * thumbnail, so tiling, the batch of tiles, the expansion and the splice are all exercised. fp32, 1e-4 absolute.
 */
class InternVlExpertReferenceTest {

    private static final TinyInternVl.Spec SPEC = TinyInternVl.Spec.forTests();
    private static final int TOKENS_PER_TILE = 64;
    private static final int[] PROMPT = {1, IM_START_ID, 40, 41, IMG_CONTEXT_ID, 42, 43, IM_END_ID, 44};

    @TempDir
    static Path dir;

    private static InternVlExpert expert;
    private static ReferenceInternVlChat reference;
    private static ImageInput wide;
    private static List<PixelValues> wideTiles;

    @BeforeAll
    static void load() throws IOException {
        TinyInternVl.write(dir, SPEC, InternVlLayout.ORIGINAL, 21);
        expert = (InternVlExpert) ExpertLoader.withBuiltInFamilies().load("internvl", dir, LoadOptions.cpu());
        reference = new ReferenceInternVlChat(dir, TinyInternVl.IMG_START_ID, IMG_CONTEXT_ID, TinyInternVl.IMG_END_ID);
        wide = png(128, 64, 3);
        wideTiles = InternVlConfig.read(dir).imageProcessor(ImageLimits.DEFAULT).process(wide);
    }

    @AfterAll
    static void close() {
        expert.close();
    }

    /** A smooth colourful picture (so resizing matters) with some noise, as PNG bytes. */
    static ImageInput png(int width, int height, int seed) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        java.util.Random random = new java.util.Random(seed);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int r = (int) (127 + 100 * Math.sin(x * 0.11 * seed) + random.nextInt(28));
                int g = (int) (127 + 100 * Math.cos(y * 0.07 + x * 0.03)) + random.nextInt(28);
                int b = (x * 255 / width + y * 255 / height) / 2;
                image.setRGB(x, y, Math.min(255, r) << 16 | Math.min(255, g) << 8 | b);
            }
        }
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            ImageIO.write(image, "png", out);
            return new ImageInput(out.toByteArray(), "image/png");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aWideImageBecomesTwoTilesAndAThumbnail() {
        assertThat(expert.config().tokensPerTile()).isEqualTo(TOKENS_PER_TILE);
        assertThat(wideTiles).hasSize(3);
    }

    @Test
    void expandedAndSplicedEmbeddingsMatchAtEveryPosition() {
        InternVlPrompt expanded = InternVlPrompt.expand(PROMPT, expert.specialTokens(), TOKENS_PER_TILE, new int[] {3});
        int[] expectedIds = reference.expand(PROMPT, List.of(wideTiles), TOKENS_PER_TILE);
        assertThat(expanded.tokenIds()).containsExactly(expectedIds);
        double[][] expected = reference.embeddings(expectedIds, List.of(wideTiles));
        NativeTarget.prepareInferenceThread();
        try (NDManager step = NDManager.newBaseManager()) {
            float[] actual = expert.embed(expanded, wideTiles, step).toFloatArray();
            assertRowsClose(actual, expected);
        }
    }

    @Test
    void logitsMatchAfterThePromptAndAtEveryDecodedPosition() {
        int[] appended = {100, IMG_CONTEXT_ID, 7, 300, IM_END_ID, 12, 5, 260};
        double[][] expected = reference.logProbs(PROMPT, List.of(wideTiles), TOKENS_PER_TILE, appended);
        int promptPositions = PROMPT.length + 1 + 3 * TOKENS_PER_TILE;
        try (ExpertSession session = expert.open(new Prompt(PROMPT, List.of(wide)))) {
            assertClose(session.nextLogProbs(), expected[promptPositions - 1]);
            for (int i = 0; i < appended.length; i++) {
                session.append(appended[i]);
                assertClose(session.nextLogProbs(), expected[promptPositions + i]);
            }
            assertThat(session.length()).isEqualTo(promptPositions + appended.length);
        }
    }

    @Test
    void everyTextPositionOfThePromptMatches() {
        // The prompt's own positions, each read as the last position of a prefix: before, right after and after
        // the image (a text-only prefix needs no image).
        double[][] expected = reference.logProbs(PROMPT, List.of(wideTiles), TOKENS_PER_TILE);
        int offset = 0;
        for (int end = 1; end <= PROMPT.length; end++) {
            int[] prefix = Arrays.copyOf(PROMPT, end);
            boolean withImage = Arrays.stream(prefix).anyMatch(id -> id == IMG_CONTEXT_ID);
            offset = withImage ? 1 + 3 * TOKENS_PER_TILE : 0;
            try (ExpertSession session = expert.open(new Prompt(prefix, withImage ? List.of(wide) : List.of()))) {
                assertClose(session.nextLogProbs(), expected[end - 1 + offset]);
            }
        }
        assertThat(offset).isPositive();
    }

    @Test
    void greedyDecodingAgreesTokenForTokenOver32Tokens() {
        List<Integer> djl = new ArrayList<>();
        try (ExpertSession session = expert.open(new Prompt(PROMPT, List.of(wide)))) {
            for (int i = 0; i < 32; i++) {
                int next = argmax(session.nextLogProbs());
                djl.add(next);
                session.append(next);
            }
        }
        int[] generated = new int[0];
        for (int i = 0; i < 32; i++) {
            double[][] logProbs = reference.logProbs(PROMPT, List.of(wideTiles), TOKENS_PER_TILE, generated);
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
    void promptLogLikelihoodScoresThePromptsOwnTokensOnly() {
        double[][] logProbs = reference.logProbs(PROMPT, List.of(wideTiles), TOKENS_PER_TILE);
        int image = 1 + 3 * TOKENS_PER_TILE + 1; // <img>, context run, </img> replace the one placeholder
        double expected = 0;
        int position = 0;
        for (int t = 0; t < PROMPT.length; t++) {
            if (PROMPT[t] == IMG_CONTEXT_ID) {
                position += image;
                continue;
            }
            if (position > 0) {
                expected += logProbs[position - 1][PROMPT[t]];
            }
            position++;
        }
        try (ExpertSession session = expert.open(new Prompt(PROMPT, List.of(wide)))) {
            assertThat(session.promptLogLikelihood()).isCloseTo(expected, within(1e-3));
            assertClose(session.nextLogProbs(), logProbs[logProbs.length - 1]);
        }
    }

    @Test
    void placeholdersMustMatchImagesBeforeAnyImageIsDecoded() {
        ImageInput broken = new ImageInput(new byte[] {1, 2, 3}, "image/png");
        assertThatThrownBy(
                        () -> expert.open(new Prompt(new int[] {1, IMG_CONTEXT_ID, IMG_CONTEXT_ID}, List.of(broken))))
                .isInstanceOf(ImageRefusedException.class)
                .hasMessageContaining("2 image placeholder token(s)")
                .hasMessageContaining("<IMG_CONTEXT>")
                .hasMessageContaining("1 image(s)");
        assertThatThrownBy(() -> expert.open(new Prompt(new int[] {1, 5}, List.of(wide))))
                .isInstanceOf(ImageRefusedException.class)
                .hasMessageContaining("0 image placeholder");
        assertThatThrownBy(() -> expert.open(new Prompt(new int[] {1, IMG_CONTEXT_ID}, List.of())))
                .isInstanceOf(ImageRefusedException.class);
        assertThatThrownBy(() -> expert.open(new Prompt(new int[] {1, IMG_CONTEXT_ID}, List.of(broken))))
                .isInstanceOf(ImageRefusedException.class);
        assertThatThrownBy(() -> expert.open(Prompt.ofTokens(1, TinyInternVl.TEXT_VOCABULARY_SIZE)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("outside");
    }

    @Test
    void sessionsReleaseTheirNativeMemory() {
        expert.batchDecoder().resetPrefixCache(); // earlier tests' kept blocks
        int baseline = expert.liveArrays();
        try (ExpertSession session = expert.open(new Prompt(new int[] {1, IMG_CONTEXT_ID, 5}, List.of(wide)))) {
            session.promptLogLikelihood();
            session.nextLogProbs();
            session.append(4);
            session.nextLogProbs();
            assertThat(expert.liveArrays()).isGreaterThan(baseline); // the KV cache
        }
        expert.batchDecoder().resetPrefixCache(); // blocks kept for reuse are the cache's, not the session's
        assertThat(expert.liveArrays()).isEqualTo(baseline);
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            best = values[i] > values[best] ? i : best;
        }
        return best;
    }

    private static void assertRowsClose(float[] actual, double[][] expected) {
        int width = expected[0].length;
        assertThat(actual).hasSize(expected.length * width);
        for (int t = 0; t < expected.length; t++) {
            for (int i = 0; i < width; i++) {
                assertThat((double) actual[t * width + i])
                        .as("position %d, column %d", t, i)
                        .isCloseTo(expected[t][i], within(1e-4));
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
