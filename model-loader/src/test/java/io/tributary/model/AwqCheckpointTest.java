package io.tributary.model;

import io.tributary.model.tiny.TinyAwq;
import io.tributary.model.tiny.TinyLlamaSpec;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * A tiny AWQ Qwen2 checkpoint ({@link TinyAwq}: hidden 128, intermediate 256, groups of 64) served end to end,
 * against the same model with its weights dequantised to float32 and run in float32.
 */
class AwqCheckpointTest {

    private static final int STEPS = 16;
    private static final TinyLlamaSpec SPEC =
            new TinyLlamaSpec(128, 2, 4, 2, 256, 256, false, io.tributary.model.safetensors.SafetensorsDType.F32);

    @TempDir
    static Path dir;

    private static Path awq;
    private static Path dequantised;

    @BeforeAll
    static void write() throws IOException {
        awq = dir.resolve("awq");
        dequantised = dir.resolve("dequantised");
        TinyAwq.write(awq, dequantised, SPEC, 64, 5);
    }

    /**
     * Both fed the float model's greedy tokens. The int4 kernel computes with bf16 activations, bf16 scales and zeros
     * (fp16 in the checkpoint) and gives bf16 outputs, each rounding moving a value by up to 2^-8 of itself, through
     * two layers and the output head: log-probabilities agree within 0.5% of their magnitude plus 0.01 (0.04 at the
     * tiny model's -6.2; measured 0.0025), and the greedy token wherever the float model's top two are further apart than that.
     */
    @Test
    void awqTokensAndLogProbsFollowTheDequantisedFloatModel() {
        Prompt prompt =
                BatchedDecodingTest.prompts(BatchedDecodingTest.Family.LLAMA).get(3);
        List<float[]> expected = new ArrayList<>();
        List<Integer> tokens = new ArrayList<>();
        try (Expert reference = load(dequantised, LoadOptions.cpu());
                ExpertSession session = reference.open(prompt)) {
            for (int t = 0; t < STEPS; t++) {
                float[] logProbs = session.nextLogProbs();
                expected.add(logProbs);
                tokens.add(BatchedDecodingTest.argmax(logProbs));
                session.append(tokens.get(t));
            }
        }
        double worst = 0;
        int sameGreedy = 0;
        try (Expert expert = load(awq, LoadOptions.cpu());
                ExpertSession session = expert.open(prompt)) {
            for (int t = 0; t < STEPS; t++) {
                float[] actual = session.nextLogProbs();
                for (int v = 0; v < actual.length; v++) {
                    float want = expected.get(t)[v];
                    assertThat(actual[v])
                            .as("step %d id %d", t, v)
                            .isCloseTo(want, within(0.005f * Math.abs(want) + 0.01f));
                    worst = Math.max(worst, Math.abs(actual[v] - want));
                }
                if (BatchedDecodingTest.argmax(actual) == tokens.get(t)) {
                    sameGreedy++;
                } else {
                    assertThat(BatchedDecodingTest.topTwoGap(expected.get(t)))
                            .as("step %d", t)
                            .isLessThan(0.1f);
                }
                session.append(tokens.get(t));
            }
        }
        System.out.printf(
                "AWQ tiny Qwen2: max |log-prob difference| %.4f, same greedy token %d of %d%n",
                worst, sameGreedy, STEPS);
    }

    /** Batched decoding of the AWQ expert equals each sequence decoded alone, as for weights packed at load. */
    @Test
    void batchedDecodingEqualsAlone() {
        try (Expert expert = load(awq, LoadOptions.cpu())) {
            List<Prompt> prompts = BatchedDecodingTest.prompts(BatchedDecodingTest.Family.LLAMA);
            List<List<float[]>> batched = BatchedDecodingTest.decodeBatched(expert, prompts);
            for (int i = 0; i < prompts.size(); i++) {
                List<float[]> alone =
                        BatchedDecodingTest.decodeAlone(expert, prompts.get(i), BatchedDecodingTest.TOKENS[i]);
                for (int t = 0; t < alone.size(); t++) {
                    float[] want = alone.get(t);
                    float[] got = batched.get(i).get(t);
                    for (int v = 0; v < want.length; v++) {
                        assertThat(got[v])
                                .as("sequence %d token %d id %d", i, t, v)
                                .isCloseTo(want[v], within(0.01f * Math.abs(want[v]) + 0.05f));
                    }
                    if (BatchedDecodingTest.topTwoGap(want) > 0.3f) {
                        assertThat(BatchedDecodingTest.argmax(got)).isEqualTo(BatchedDecodingTest.argmax(want));
                    }
                }
            }
        }
    }

    /** Asking for int4 serves the checkpoint's own int4 weights, in its groups of 64, not requantised in 32s. */
    @Test
    void int4OptionServesTheSameWeightsAsNone() {
        Prompt prompt =
                BatchedDecodingTest.prompts(BatchedDecodingTest.Family.LLAMA).get(1);
        float[] none;
        try (Expert expert = load(awq, LoadOptions.cpu());
                ExpertSession session = expert.open(prompt)) {
            none = session.nextLogProbs();
        }
        LoadOptions int4 = LoadOptions.cpu().withQuantization(Quantization.INT4, 32);
        try (Expert expert = load(awq, int4);
                ExpertSession session = expert.open(prompt)) {
            // The output head, stored in fp16, is packed to int4 as the options ask: only it differs.
            assertThat(session.nextLogProbs()).containsExactly(none, within(0.5f));
        }
    }

    @Test
    void int8OnAnAwqCheckpointIsRefused() {
        LoadOptions int8 = LoadOptions.cpu().withQuantization(Quantization.INT8, 32);
        assertThatThrownBy(() -> load(awq, int8))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("AWQ int4 checkpoint")
                .hasMessageContaining("int8");
    }

    @Test
    void fp16ActivationsAreRefused() {
        assertThatThrownBy(() -> load(awq, LoadOptions.cpu().withPrecision(Precision.FP16)))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("float32 activations");
    }

    @Test
    void anUnsupportedAwqVersionIsRefusedNamingTheConfig() throws IOException {
        Path gemv = dir.resolve("gemv");
        TinyAwq.write(gemv, dir.resolve("gemv-float"), SPEC, 64, 5);
        Path config = gemv.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"gemm\"", "\"gemv\""));
        assertThatThrownBy(() -> load(gemv, LoadOptions.cpu()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(config.toString())
                .hasMessageContaining("AWQ version 'gemv' is not supported");
    }

    @Test
    void aMisshapedQweightIsNamed() throws IOException {
        Path wrongGroup = dir.resolve("wrong-group");
        TinyAwq.write(wrongGroup, dir.resolve("wrong-group-float"), SPEC, 64, 5);
        Path config = wrongGroup.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"group_size\" : 64", "\"group_size\" : 32"));
        assertThatThrownBy(() -> load(wrongGroup, LoadOptions.cpu()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("tensor 'model.layers.0.self_attn.q_proj.qzeros'")
                .hasMessageContaining("has shape [2, 16], expected [4, 16]");
    }

    private static Expert load(Path checkpoint, LoadOptions options) {
        return ExpertLoader.withBuiltInFamilies().load("awq", checkpoint, options);
    }
}
