package io.tributary.model.llama;

import io.tributary.model.LoadOptions;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The DJL forward pass against {@link ReferenceLlama}, the naive loops written from modeling_llama.py. */
class LlamaReferenceTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "tied embeddings: {0}")
    @ValueSource(booleans = {false, true})
    void djlForwardMatchesPlainJavaReferenceAtEveryPosition(boolean tied) throws IOException {
        SharpCheckpoint.write(dir, tied, 64);
        int[] tokens = new Random(7).ints(14, 0, SharpCheckpoint.VOCAB).toArray();
        double[][] expected = new ReferenceLlama(dir).logProbs(tokens);

        try (LlamaExpert expert = LlamaExpert.load("ref", dir, LoadOptions.cpu());
                ExpertSession session = expert.open(Prompt.ofTokens(Arrays.copyOf(tokens, 5)))) {
            assertClose(session.nextLogProbs(), expected[4], "after prefill of 5 tokens");
            for (int t = 5; t < tokens.length; t++) {
                session.append(tokens[t]);
                assertClose(session.nextLogProbs(), expected[t], "after decoding position " + t);
            }
        }
    }

    private static void assertClose(float[] actual, double[] expected, String when) {
        assertThat(actual).hasSize(expected.length);
        double spread = Arrays.stream(expected).max().orElseThrow()
                - Arrays.stream(expected).min().orElseThrow();
        assertThat(spread)
                .as("the test model must be far from uniform to catch bugs")
                .isGreaterThan(1.0);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("%s, token %d", when, i).isCloseTo(expected[i], within(1e-4));
        }
    }
}
