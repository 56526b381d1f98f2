package io.tributary.model.llama;

import io.tributary.model.LoadOptions;
import io.tributary.model.ModelLoadException;
import io.tributary.model.Precision;
import io.tributary.model.WeightLoading;
import io.tributary.model.safetensors.HalfFloats;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import io.tributary.model.tiny.TinyCheckpoints;
import io.tributary.model.tiny.TinyLlamaSpec;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Every way a checkpoint can disagree with its config fails at load, naming the tensor and the file. */
class LlamaWeightsLoaderTest {

    private static final TinyLlamaSpec SPEC = TinyLlamaSpec.forTests();

    @TempDir
    Path dir;

    /** A generated checkpoint whose weights went through {@code edit} before being written. */
    private Path checkpoint(UnaryOperator<List<Tensor>> edit) throws IOException {
        TinyCheckpoints.writeLlama(dir, SPEC, 5);
        List<Tensor> tensors = edit.apply(new ArrayList<>(TinyCheckpoints.llamaWeights(SPEC, 5)));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        return dir.resolve("model.safetensors");
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        checkpoint(tensors -> {
            tensors.removeIf(t -> t.name().equals("model.layers.1.mlp.up_proj.weight"));
            return tensors;
        });
        assertThatThrownBy(() -> LlamaExpert.load("x", dir, LoadOptions.cpu()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'model.layers.1.mlp.up_proj.weight' is missing")
                .hasMessageContaining(dir.toString());
    }

    @Test
    void unexpectedTensorIsNamedWithItsFile() throws IOException {
        Path file = checkpoint(tensors -> {
            tensors.add(new Tensor(
                    "model.layers.0.self_attn.q_proj.bias", SafetensorsDType.F32, new long[] {64}, new float[64]));
            return tensors;
        });
        assertThatThrownBy(() -> LlamaExpert.load("x", dir, LoadOptions.cpu()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("unexpected tensor 'model.layers.0.self_attn.q_proj.bias' in " + file);
    }

    @Test
    void misShapedTensorIsNamedWithItsFileAndBothShapes() throws IOException {
        Path file = checkpoint(tensors -> {
            tensors.replaceAll(t -> t.name().equals("model.layers.0.self_attn.k_proj.weight")
                    ? new Tensor(t.name(), t.dtype(), new long[] {64, 32}, t.values())
                    : t);
            return tensors;
        });
        assertThatThrownBy(() -> LlamaExpert.load("x", dir, LoadOptions.cpu()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'model.layers.0.self_attn.k_proj.weight' in " + file)
                .hasMessageContaining("[64, 32]")
                .hasMessageContaining("expected [32, 64]");
    }

    @Test
    void oldRotaryBuffersAreIgnoredAndAbsentLmHeadIsTiedToEmbeddings() throws IOException {
        checkpoint(tensors -> {
            tensors.removeIf(t -> t.name().equals("lm_head.weight"));
            tensors.add(new Tensor(
                    "model.layers.0.self_attn.rotary_emb.inv_freq",
                    SafetensorsDType.F32,
                    new long[] {8},
                    new float[8]));
            return tensors;
        });
        try (LlamaExpert expert = LlamaExpert.load("x", dir, LoadOptions.cpu());
                ExpertSession session = expert.open(Prompt.ofTokens(1, 2, 3))) {
            assertThat(session.nextLogProbs()).hasSize(expert.vocabularySize());
        }
    }

    /** A half-precision checkpoint must compute what float32 weights of the same (rounded) values compute. */
    @ParameterizedTest
    @EnumSource(
            value = SafetensorsDType.class,
            names = {"BF16", "F16"})
    void halfPrecisionCheckpointsLoadExactlyAsFloat32(SafetensorsDType type, @TempDir Path roundedDir)
            throws IOException {
        TinyCheckpoints.writeLlama(dir, SPEC.withWeightType(type), 5);
        TinyCheckpoints.writeLlama(roundedDir, SPEC, 5);
        List<Tensor> rounded = new ArrayList<>();
        for (Tensor t : TinyCheckpoints.llamaWeights(SPEC, 5)) {
            float[] values = t.values().clone();
            for (int i = 0; i < values.length; i++) {
                values[i] = type == SafetensorsDType.BF16
                        ? HalfFloats.fromBf16(HalfFloats.toBf16(values[i]))
                        : HalfFloats.fromF16(HalfFloats.toF16(values[i]));
            }
            rounded.add(new Tensor(t.name(), SafetensorsDType.F32, t.shape(), values));
        }
        SafetensorsWriter.write(roundedDir.resolve("model.safetensors"), rounded, Map.of());
        try (LlamaExpert half = LlamaExpert.load("half", dir, LoadOptions.cpu());
                LlamaExpert full = LlamaExpert.load("full", roundedDir, LoadOptions.cpu());
                ExpertSession halfSession = half.open(Prompt.ofTokens(1, 2, 3));
                ExpertSession fullSession = full.open(Prompt.ofTokens(1, 2, 3))) {
            // Equal up to float32 summation order (aligned and mmapped weights may take different SIMD paths).
            assertThat(halfSession.nextLogProbs()).containsExactly(fullSession.nextLogProbs(), within(1e-6f));
        }
    }

    @Test
    void fp16PrecisionRunsOnCpuAndStaysCloseToFp32() throws IOException {
        TinyCheckpoints.writeLlama(dir, SPEC, 5);
        try (LlamaExpert full = LlamaExpert.load("fp32", dir, LoadOptions.cpu());
                LlamaExpert half =
                        LlamaExpert.load("fp16", dir, new LoadOptions("cpu", Precision.FP16, WeightLoading.MMAP));
                ExpertSession fullSession = full.open(Prompt.ofTokens(1, 2, 3, 4));
                ExpertSession halfSession = half.open(Prompt.ofTokens(1, 2, 3, 4))) {
            halfSession.nextLogProbs();
            halfSession.append(5);
            fullSession.nextLogProbs();
            fullSession.append(5);
            assertThat(halfSession.nextLogProbs()).containsExactly(fullSession.nextLogProbs(), within(5e-3f));
        }
    }
}
