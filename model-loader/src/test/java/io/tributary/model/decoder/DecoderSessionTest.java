package io.tributary.model.decoder;

import io.tributary.model.LoadOptions;
import io.tributary.model.llama.LlamaExpert;
import io.tributary.model.llama.SharpCheckpoint;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;
import io.tributary.routing.refusal.ImageRefusedException;
import io.tributary.routing.refusal.PromptTooLongException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** KV-cache consistency and the session protocol, on a sharp checkpoint long enough to span two cache chunks. */
class DecoderSessionTest {

    private static final int MAX_POSITIONS = 600;

    @TempDir
    static Path dir;

    private static LlamaExpert expert;

    @BeforeAll
    static void load() throws Exception {
        SharpCheckpoint.write(dir, false, MAX_POSITIONS);
        expert = LlamaExpert.load("tiny", dir, LoadOptions.cpu());
    }

    @AfterAll
    static void close() {
        expert.close();
    }

    private static int[] randomTokens(int count, long seed) {
        return new Random(seed).ints(count, 0, expert.vocabularySize()).toArray();
    }

    @Test
    void prefillInOneGoEqualsPrefixThenTokenByToken() {
        int[] tokens = randomTokens(40, 1);
        float[] oneGo;
        try (ExpertSession session = expert.open(Prompt.ofTokens(tokens))) {
            oneGo = session.nextLogProbs();
        }
        try (ExpertSession session = expert.open(Prompt.ofTokens(Arrays.copyOf(tokens, 7)))) {
            session.nextLogProbs();
            for (int t = 7; t < tokens.length; t++) {
                session.append(tokens[t]);
                session.nextLogProbs();
            }
            assertThat(session.length()).isEqualTo(tokens.length);
            assertClose(session.nextLogProbs(), oneGo);
        }
    }

    @Test
    void aSessionTakesBlocksAsItsPositionsReachThemAndStaysConsistentAcrossTheirBoundaries() {
        int[] tokens = randomTokens(270, 2);
        int block = KvCacheSettings.DEFAULT.blockPositions();
        float[] oneGo;
        try (ExpertSession session = expert.open(Prompt.ofTokens(tokens))) {
            oneGo = session.nextLogProbs();
            assertThat(((DecoderSession) session).cacheBlocks()).isEqualTo((270 + block - 1) / block);
        }
        try (DecoderSession session = (DecoderSession) expert.open(Prompt.ofTokens(Arrays.copyOf(tokens, 250)))) {
            session.nextLogProbs();
            assertThat(session.cacheBlocks())
                    .as("a context takes the blocks of its positions, no more")
                    .isEqualTo((250 + block - 1) / block);
            for (int t = 250; t < tokens.length; t++) {
                session.append(tokens[t]);
                session.nextLogProbs();
            }
            assertThat(session.cacheBlocks()).isEqualTo((270 + block - 1) / block);
            assertClose(session.nextLogProbs(), oneGo);
        }
    }

    @Test
    void severalAppendsBeforeAskingRunAsOneStep() {
        int[] tokens = randomTokens(12, 3);
        float[] oneGo;
        try (ExpertSession session = expert.open(Prompt.ofTokens(tokens))) {
            oneGo = session.nextLogProbs();
        }
        try (ExpertSession session = expert.open(Prompt.ofTokens(Arrays.copyOf(tokens, 4)))) {
            session.nextLogProbs();
            for (int t = 4; t < tokens.length; t++) {
                session.append(tokens[t]);
            }
            assertClose(session.nextLogProbs(), oneGo);
        }
    }

    @Test
    void logProbsAreNormalizedAndRepeatable() {
        try (ExpertSession session = expert.open(Prompt.ofTokens(randomTokens(5, 4)))) {
            float[] first = session.nextLogProbs();
            assertThat(first).hasSize(expert.vocabularySize());
            double max = Double.NEGATIVE_INFINITY;
            for (float value : first) {
                max = Math.max(max, value);
            }
            double sum = 0;
            for (float value : first) {
                sum += Math.exp(value - max);
            }
            assertThat(max + Math.log(sum)).as("logsumexp").isCloseTo(0.0, within(1e-5));
            first[0] = 42f; // the caller owns the array
            assertThat(session.nextLogProbs()[0]).isNotEqualTo(42f);
        }
    }

    @Test
    void eachPromptTokensLogProbIsTheDistributionOfThePrefixBeforeIt() {
        int[] tokens = randomTokens(9, 11);
        float[] perToken;
        double likelihood;
        try (ExpertSession session = expert.open(Prompt.ofTokens(tokens))) {
            perToken = session.promptTokenLogProbs();
            likelihood = session.promptLogLikelihood();
        }
        assertThat(perToken).hasSize(tokens.length);
        assertThat(perToken[0]).isNaN();
        double sum = 0;
        for (int t = 1; t < tokens.length; t++) {
            assertThat(perToken[t])
                    .as("position %d", t)
                    .isCloseTo(nextLogProbs(Arrays.copyOf(tokens, t))[tokens[t]], within(1e-4f));
            sum += perToken[t];
        }
        assertThat(likelihood).isCloseTo(sum, within(1e-4));
    }

    @Test
    void rejectsWhatTheModelCannotServe() {
        assertThatThrownBy(() ->
                        expert.open(new Prompt(new int[] {1, 2}, List.of(new ImageInput(new byte[] {1}, "image/png")))))
                .isInstanceOf(ImageRefusedException.class)
                .hasMessageContaining("text-only");
        assertThatThrownBy(() -> expert.open(Prompt.ofTokens(new int[MAX_POSITIONS + 1])))
                .isInstanceOf(PromptTooLongException.class)
                .hasMessageContaining("max_position_embeddings");
        assertThatThrownBy(() -> expert.open(Prompt.ofTokens(1, expert.vocabularySize())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vocabulary");
    }

    @Test
    void contextCannotGrowPastMaxPositionsAndClosedSessionsRefuseWork() {
        ExpertSession session = expert.open(Prompt.ofTokens(new int[MAX_POSITIONS]));
        assertThatThrownBy(() -> session.append(1)).isInstanceOf(IllegalStateException.class);
        session.close();
        session.close(); // idempotent
        assertThatThrownBy(session::nextLogProbs).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void sessionsOnSeveralThreadsShareTheWeightsSafely() throws Exception {
        int[][] prompts = {randomTokens(9, 10), randomTokens(17, 11), randomTokens(4, 12)};
        float[][] sequential = new float[prompts.length][];
        for (int i = 0; i < prompts.length; i++) {
            sequential[i] = decode(prompts[i]);
        }
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<float[]>> parallel = new ArrayList<>();
            for (int[] prompt : prompts) {
                parallel.add(pool.submit(() -> decode(prompt)));
            }
            for (int i = 0; i < prompts.length; i++) {
                assertClose(parallel.get(i).get(), sequential[i]);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Greedy-decodes 15 tokens and returns the last distribution. */
    private static float[] nextLogProbs(int[] prompt) {
        try (ExpertSession session = expert.open(Prompt.ofTokens(prompt))) {
            return session.nextLogProbs();
        }
    }

    private static float[] decode(int[] prompt) {
        try (ExpertSession session = expert.open(Prompt.ofTokens(prompt))) {
            float[] logProbs = session.nextLogProbs();
            for (int t = 0; t < 15; t++) {
                int best = 0;
                for (int i = 1; i < logProbs.length; i++) {
                    best = logProbs[i] > logProbs[best] ? i : best;
                }
                session.append(best);
                logProbs = session.nextLogProbs();
            }
            return logProbs;
        }
    }

    @Test
    void closingTheExpertFirstLeavesSessionCloseHarmless() {
        LlamaExpert own = LlamaExpert.load("own", dir, LoadOptions.cpu());
        ExpertSession session = own.open(Prompt.ofTokens(1, 2, 3));
        session.nextLogProbs();
        own.close();
        session.close();
    }

    private static void assertClose(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("token %d", i).isCloseTo(expected[i], within(1e-4f));
        }
    }
}
