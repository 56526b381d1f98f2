package io.tributary.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.ExpertLoader;
import io.tributary.model.LoadOptions;
import io.tributary.model.ModelLoadException;
import io.tributary.model.NativeTarget;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.kernel.Kernels;
import io.tributary.model.llama.LlamaConfig;
import io.tributary.model.llama.LlamaExpert;
import io.tributary.model.llama.ReferenceLlama;
import io.tributary.model.llama.SharpCheckpoint;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Attention biases (Llama's attention_bias, Qwen2) and prompt scoring, against {@link ReferenceLlama}. */
class DecoderVariantsTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(SharpCheckpoint.Biases.class)
    void biasedDecodersMatchTheReferenceAtEveryPosition(SharpCheckpoint.Biases biases) throws IOException {
        SharpCheckpoint.write(dir, false, 64, biases, SharpCheckpoint.VOCAB);
        int[] tokens = new Random(3).ints(12, 0, SharpCheckpoint.VOCAB).toArray();
        double[][] expected = new ReferenceLlama(dir).logProbs(tokens);
        try (Expert expert = ExpertLoader.withBuiltInFamilies().load("v", dir, LoadOptions.cpu());
                ExpertSession session = expert.open(Prompt.ofTokens(Arrays.copyOf(tokens, 6)))) {
            assertClose(session.nextLogProbs(), expected[5]);
            for (int t = 6; t < tokens.length; t++) {
                session.append(tokens[t]);
                assertClose(session.nextLogProbs(), expected[t]);
            }
        }
    }

    @Test
    void qwen2ConfigTakesQwen2Defaults() {
        LlamaConfig config =
                LlamaConfig.fromJson(new tools.jackson.databind.ObjectMapper().readTree("{\"model_type\": \"qwen2\"}"));
        assertThat(config.attentionBias()).isTrue();
        assertThat(config.oProjBias()).isFalse();
        assertThat(config.vocabSize()).isEqualTo(151936);
        assertThat(config.intermediateSize()).isEqualTo(22016);
        assertThat(config.maxPositionEmbeddings()).isEqualTo(32768);
        assertThat(config.ropeTheta()).isEqualTo(10000.0);
        assertThat(config.rmsNormEps()).isEqualTo(1e-6);
        assertThat(config.tieWordEmbeddings()).isFalse();
        assertThat(config.bosTokenId()).isEmpty();
        assertThatThrownBy(() -> LlamaConfig.fromJson(new tools.jackson.databind.ObjectMapper()
                        .readTree("{\"model_type\": \"qwen2\", \"use_sliding_window\": true}")))
                .hasMessageContaining("use_sliding_window");
    }

    @Test
    void qwen2WithoutItsBiasesFailsNamingTheTensor() throws IOException {
        SharpCheckpoint.write(dir, false, 64, SharpCheckpoint.Biases.NONE, SharpCheckpoint.VOCAB);
        Path config = dir.resolve("config.json");
        Files.writeString(
                config,
                Files.readString(config)
                        .replace("LlamaForCausalLM", "Qwen2ForCausalLM")
                        .replace("\"llama\"", "\"qwen2\""));
        assertThatThrownBy(() -> ExpertLoader.withBuiltInFamilies().load("q", dir, LoadOptions.cpu()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("Qwen2 checkpoint")
                .hasMessageContaining("'model.layers.0.self_attn.q_proj.bias' is missing from " + dir);
    }

    @Test
    void promptLogLikelihoodIsTheSumOfTheReferenceLogProbsOfEachNextToken() throws IOException {
        SharpCheckpoint.write(dir, false, 64, SharpCheckpoint.Biases.QWEN2, SharpCheckpoint.VOCAB);
        int[] tokens = new Random(4).ints(20, 0, SharpCheckpoint.VOCAB).toArray();
        double[][] reference = new ReferenceLlama(dir).logProbs(tokens);
        double expected = 0;
        for (int t = 1; t < tokens.length; t++) {
            expected += reference[t - 1][tokens[t]];
        }
        try (LlamaExpert expert = LlamaExpert.load("s", dir, LoadOptions.cpu());
                ExpertSession session = expert.open(Prompt.ofTokens(tokens))) {
            assertThat(session.promptLogLikelihood()).isCloseTo(expected, within(1e-3));
            assertThat(session.promptLogLikelihood()).as("asking twice is free").isCloseTo(expected, within(1e-3));
            assertClose(session.nextLogProbs(), reference[tokens.length - 1]);
        }
        try (LlamaExpert expert = LlamaExpert.load("s", dir, LoadOptions.cpu());
                ExpertSession session = expert.open(Prompt.ofTokens(tokens))) {
            session.nextLogProbs();
            assertThatThrownBy(session::promptLogLikelihood)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("before the first");
        }
    }

    /** Scoring in chunks of a few rows equals scoring position by position; skipped positions do not count. */
    @Test
    void chunkedScoringEqualsOneRowAtATime() throws IOException {
        int vocab = SharpCheckpoint.VOCAB;
        SharpCheckpoint.write(dir, true, 64, SharpCheckpoint.Biases.NONE, vocab);
        int[] tokens = new Random(5).ints(11, 0, vocab).toArray();
        boolean[] text = new boolean[tokens.length];
        Arrays.fill(text, true);
        text[4] = false; // an "image" position is not scored
        NativeTarget.prepareInferenceThread();
        try (NDManager manager = NativeTarget.newModelManager(LoadOptions.cpu(), "chunks")) {
            CheckpointTensors tensors = CheckpointTensors.open(dir);
            LlamaModel model =
                    LlamaModel.load(tensors, LlamaConfig.read(dir.resolve("config.json")), manager, DataType.FLOAT32);
            PagedKvCache cache = new PagedKvCache(
                    model.config(),
                    manager,
                    Kernels.load(manager),
                    DataType.FLOAT32,
                    KvCacheSettings.DEFAULT.blockPositions(),
                    0);
            StepLayout layout = new StepLayout(cache.blockPositions());
            PagedKvCache.BlockTable table = cache.newTable();
            cache.reserve(table, tokens.length);
            layout.add(new StepLayout.Sequence(table, 0, tokens.length));
            NDArray hidden = model.hiddenStates(model.embedTokens(tokens, manager), layout, cache, manager);
            // Row r predicts token r + 1.
            int[] targets = Arrays.copyOfRange(tokens, 1, tokens.length);
            boolean[] scored = Arrays.copyOfRange(text, 1, text.length);
            double chunked = model.sumLogProbs(hidden, targets, scored, 3);
            assertThat(model.sumLogProbs(hidden, targets, scored)).isCloseTo(chunked, within(1e-4));
            double direct = 0;
            for (int t = 1; t < tokens.length; t++) {
                if (text[t]) {
                    direct += model.logProbsOfRows(hidden, new long[] {t - 1}).toFloatArray()[tokens[t]];
                }
            }
            assertThat(chunked).isCloseTo(direct, within(1e-3));
        }
    }

    private static void assertClose(float[] actual, double[] expected) {
        double spread = Arrays.stream(expected).max().orElseThrow()
                - Arrays.stream(expected).min().orElseThrow();
        assertThat(spread).as("the test model must be far from uniform").isGreaterThan(1.0);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("token %d", i).isCloseTo(expected[i], within(1e-4));
        }
    }
}
