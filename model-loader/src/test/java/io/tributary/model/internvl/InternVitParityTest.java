package io.tributary.model.internvl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.tributary.model.LoadOptions;
import io.tributary.model.image.PixelValues;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Each step of the DJL vision path against {@link ReferenceInternVl}, the plain-Java loops, on a tiny checkpoint at
 * transformers' ModelTester sizes with sharp weights. fp32, 1e-4 absolute.
 */
class InternVitParityTest {

    private static final double TOLERANCE = 1e-4;

    @TempDir
    static Path dir;

    static InternVlVisionEncoder encoder;
    static ReferenceInternVl reference;
    static TinyInternVlSpec spec = TinyInternVlSpec.modelTester();

    @BeforeAll
    static void load() throws IOException {
        TinyInternVlVision.write(dir, spec, InternVlLayout.ORIGINAL, 11, List.of(), null);
        encoder = InternVlVisionEncoder.load(dir, LoadOptions.cpu());
        reference = new ReferenceInternVl(dir);
    }

    @AfterAll
    static void close() {
        encoder.close();
    }

    static PixelValues randomTile(long seed) {
        Random random = new Random(seed);
        float[] data = new float[3 * spec.imageSize() * spec.imageSize()];
        for (int i = 0; i < data.length; i++) {
            data[i] = random.nextFloat() * 4 - 2;
        }
        return new PixelValues(data, 3, spec.imageSize(), spec.imageSize());
    }

    @Test
    void patchEmbeddingMatchesConvolutionLoops() {
        PixelValues tile = randomTile(1);
        try (NDManager step = encoder.manager().newSubManager()) {
            NDArray pixels = step.create(tile.data(), new Shape(1, 3, spec.imageSize(), spec.imageSize()));
            assertClose(encoder.model().embed(pixels), reference.embed(tile.data()), "embeddings");
        }
    }

    @Test
    void attentionMatchesNaiveLoops() {
        double[][] h = randomRows(new Random(2), 257, spec.hiddenSize());
        double[][] expected = reference.attention(h, 0);
        try (NDManager step = encoder.manager().newSubManager()) {
            NDArray actual = encoder.model()
                    .attention(
                            batch(step, h), encoder.model().weights().layers().get(0));
            assertClose(actual, expected, "attention of layer 0");
        }
    }

    @Test
    void encoderLayerMatches() {
        double[][] x = randomRows(new Random(3), 257, spec.hiddenSize());
        try (NDManager step = encoder.manager().newSubManager()) {
            NDArray actual = encoder.model()
                    .layer(batch(step, x), encoder.model().weights().layers().get(1));
            assertClose(actual, reference.layer(x, 1), "layer 1");
        }
    }

    @Test
    void wholeInternVitMatches() {
        PixelValues tile = randomTile(4);
        double[][] expected = reference.embed(tile.data());
        for (int l = 0; l < spec.layers(); l++) {
            expected = reference.layer(expected, l);
        }
        try (NDManager step = encoder.manager().newSubManager()) {
            NDArray pixels = step.create(tile.data(), new Shape(1, 3, spec.imageSize(), spec.imageSize()));
            assertClose(encoder.model().hiddenStates(pixels), expected, "last hidden state");
        }
    }

    @Test
    void pixelShuffleMatchesTheLiteralViewPermuteSteps() {
        int g = spec.imageSize() / spec.patchSize();
        double[][] patches = randomRows(new Random(5), g * g, spec.hiddenSize());
        try (NDManager step = encoder.manager().newSubManager()) {
            NDArray actual = InternVitModel.pixelShuffle(batch(step, patches), 2, true);
            assertThat(actual.getShape()).isEqualTo(new Shape(g * g / 4, 4L * spec.hiddenSize()));
            assertClose(actual, reference.pixelShuffle(patches), "pixel shuffle v2");
        }
    }

    @Test
    void pixelShuffleV2TokenHoldsItsTwoByTwoBlockRowByRow() {
        // 4x4 grid of 1-channel patches numbered 0..15 row-major: token (0, 1) of the 2x2 output covers patches
        // (0,2) (0,3) (1,2) (1,3) = 2, 3, 6, 7; v1 leaves the grid transposed, so its token 1 is token (1, 0).
        try (NDManager step = encoder.manager().newSubManager()) {
            NDArray numbered = step.arange(16f).reshape(1, 16, 1);
            float[] v2 = InternVitModel.pixelShuffle(numbered, 2, true).toFloatArray();
            float[] v1 = InternVitModel.pixelShuffle(numbered, 2, false).toFloatArray();
            assertThat(java.util.Arrays.copyOfRange(v2, 4, 8)).containsExactly(2, 3, 6, 7);
            assertThat(java.util.Arrays.copyOfRange(v2, 8, 12)).containsExactly(8, 9, 12, 13);
            assertThat(java.util.Arrays.copyOfRange(v1, 4, 8)).containsExactly(8, 9, 12, 13);
        }
    }

    @Test
    void projectorMatches() {
        double[][] tokens = randomRows(new Random(6), 64, 4 * spec.hiddenSize());
        try (NDManager step = encoder.manager().newSubManager()) {
            NDArray actual = encoder.model().project(batch(step, tokens).squeeze(0));
            assertClose(actual, reference.project(tokens), "projector");
        }
    }

    @Test
    void endToEndImageTokensMatchForABatchOfTiles() {
        List<PixelValues> tiles = List.of(randomTile(7), randomTile(8));
        float[] actual = encoder.encodeToFloats(tiles);
        int tokens = encoder.tokensPerTile();
        int width = encoder.outputWidth();
        assertThat(tokens).isEqualTo(64);
        assertThat(actual).hasSize(2 * tokens * width);
        for (int t = 0; t < tiles.size(); t++) {
            double[][] expected = reference.features(tiles.get(t).data());
            assertSharp(expected);
            for (int i = 0; i < tokens; i++) {
                for (int j = 0; j < width; j++) {
                    assertThat((double) actual[(t * tokens + i) * width + j])
                            .as("tile %d token %d dim %d", t, i, j)
                            .isCloseTo(expected[i][j], within(TOLERANCE));
                }
            }
        }
    }

    static double[][] randomRows(Random random, int rows, int columns) {
        double[][] x = new double[rows][columns];
        for (double[] row : x) {
            for (int i = 0; i < columns; i++) {
                row[i] = (float) (random.nextGaussian() * 1.5); // representable exactly in fp32
            }
        }
        return x;
    }

    private static NDArray batch(NDManager step, double[][] rows) {
        float[] flat = new float[rows.length * rows[0].length];
        for (int t = 0; t < rows.length; t++) {
            for (int i = 0; i < rows[t].length; i++) {
                flat[t * rows[t].length + i] = (float) rows[t][i];
            }
        }
        return step.create(flat, new Shape(1, rows.length, rows[0].length));
    }

    private static void assertClose(NDArray actual, double[][] expected, String what) {
        float[] values = actual.toFloatArray();
        int width = expected[0].length;
        assertThat(values).as(what + " size").hasSize(expected.length * width);
        assertSharp(expected);
        for (int t = 0; t < expected.length; t++) {
            for (int i = 0; i < width; i++) {
                assertThat((double) values[t * width + i])
                        .as("%s, row %d, column %d", what, t, i)
                        .isCloseTo(expected[t][i], within(TOLERANCE));
            }
        }
    }

    /** Unit-scale values that vary: a test on near-constant outputs could not see a bug. */
    private static void assertSharp(double[][] expected) {
        double sumSq = 0;
        for (double[] row : expected) {
            for (double v : row) {
                sumSq += v * v;
            }
        }
        double rms = Math.sqrt(sumSq / (expected.length * expected[0].length));
        assertThat(rms).as("rms of the expected values").isBetween(0.3, 100.0);
    }
}
