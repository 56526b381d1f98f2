package io.tributary.model.decoder;

import ai.djl.ndarray.NDManager;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.Precision;
import io.tributary.model.Quantization;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.kernel.WeightPacker;
import io.tributary.model.llama.LlamaConfig;
import io.tributary.model.llama.SharpCheckpoint;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.tiny.TinyCheckpoints;
import io.tributary.model.tiny.TinyLlamaSpec;
import io.tributary.routing.BatchEntry;
import io.tributary.routing.ExpertBatch;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * A decode step of packed weights run a layer a call gives what the same step gives op by op: the same ATen kernels
 * in the same order, for every packed format, with the attention biases of Qwen2 and of Llama's attention_bias, for
 * sequences of different lengths decoded together (a masked attention), and for weights held in halves (the second
 * multiplied on a forked task).
 */
class FusedDecodeTest {

    private static final int[] PROMPT_LENGTHS = {5, 11}; // two rows: fused below LlamaModel.FUSED_MAX_ROWS
    private static final int STEPS = 6;

    enum Checkpoint {
        QWEN2_BIASES,
        LLAMA_ATTENTION_BIAS,
        /** MLP weights of 2 MB and more once packed: held in halves. */
        LARGE_MLP
    }

    @TempDir
    Path dir;

    static Stream<Arguments> checkpointsAndFormats() {
        List<Arguments> cases = new ArrayList<>();
        for (Checkpoint checkpoint : Checkpoint.values()) {
            cases.add(Arguments.of(checkpoint, Quantization.NONE, Precision.BF16));
            cases.add(Arguments.of(checkpoint, Quantization.INT8, Precision.FP32));
            cases.add(Arguments.of(checkpoint, Quantization.INT4, Precision.FP32));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("checkpointsAndFormats")
    void fusedDecodeStepsGiveWhatOpByOpStepsGive(Checkpoint checkpoint, Quantization quantization, Precision precision)
            throws IOException {
        int vocabulary = write(checkpoint);
        LoadOptions options = LoadOptions.cpu().withPrecision(precision).withQuantization(quantization, 32);
        NativeTarget.prepareInferenceThread();
        try (NDManager manager = NativeTarget.newModelManager(options, "fused-decode-test");
                BatchDecoder fused = decoder(options, manager, true);
                BatchDecoder opByOp = decoder(options, manager, false)) {
            assertThat(fused.model().decodesFused()).isTrue();
            assertThat(opByOp.model().decodesFused()).isFalse();
            if (checkpoint == Checkpoint.LARGE_MLP && quantization != Quantization.INT4) {
                assertThat(fused.model().heldInHalves())
                        .as("the forked half is exercised")
                        .isTrue();
            }
            Random random = new Random(7);
            List<DecoderSession> fusedSessions = new ArrayList<>();
            List<DecoderSession> opSessions = new ArrayList<>();
            for (int length : PROMPT_LENGTHS) {
                int[] prompt = random.ints(length, 0, vocabulary).toArray();
                fusedSessions.add(fused.open(DecoderPrompt.text(prompt)));
                opSessions.add(opByOp.open(DecoderPrompt.text(prompt)));
            }
            for (int step = 0; step < STEPS; step++) {
                fused.forward(batch(fusedSessions));
                opByOp.forward(batch(opSessions));
                for (int s = 0; s < PROMPT_LENGTHS.length; s++) {
                    float[] expected = opSessions.get(s).nextLogProbs();
                    assertThat(fusedSessions.get(s).nextLogProbs())
                            .as("sequence %d, step %d", s, step)
                            .containsExactly(expected, within(1e-5f));
                    int next = argmax(expected);
                    fusedSessions.get(s).append(next);
                    opSessions.get(s).append(next);
                }
            }
            assertThat(fused.model().fusedSteps())
                    .as("every decode step ran fused")
                    .isEqualTo(STEPS - 1);
            assertThat(opByOp.model().fusedSteps()).isZero();
            fusedSessions.forEach(DecoderSession::close);
            opSessions.forEach(DecoderSession::close);
        }
    }

    /** Each session's pending positions: the whole prompt at the first step, then one token. */
    private static ExpertBatch batch(List<DecoderSession> sessions) {
        return new ExpertBatch(sessions.stream()
                .map(session -> new BatchEntry(session, session.pendingPositions(), false))
                .toList());
    }

    private BatchDecoder decoder(LoadOptions options, NDManager manager, boolean fuse) throws IOException {
        LlamaModel model = LlamaModel.load(
                CheckpointTensors.open(dir, options.weightLoading()),
                LlamaConfig.read(dir.resolve("config.json")),
                manager,
                NativeTarget.dataType(options),
                WeightPacker.of(options, manager));
        return new BatchDecoder(model, manager, NativeTarget.dataType(options), true, fuse);
    }

    /** Writes the checkpoint; returns its vocabulary size. */
    private int write(Checkpoint checkpoint) throws IOException {
        switch (checkpoint) {
            case QWEN2_BIASES -> SharpCheckpoint.write(dir, false, 64, SharpCheckpoint.Biases.QWEN2, 50);
            case LLAMA_ATTENTION_BIAS ->
                SharpCheckpoint.write(dir, false, 64, SharpCheckpoint.Biases.LLAMA_ATTENTION_BIAS, 50);
            case LARGE_MLP ->
                TinyCheckpoints.writeLlama(
                        dir, new TinyLlamaSpec(128, 1, 4, 2, 16_384, 64, false, SafetensorsDType.F32), 5);
        }
        return LlamaConfig.read(dir.resolve("config.json")).vocabSize();
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
