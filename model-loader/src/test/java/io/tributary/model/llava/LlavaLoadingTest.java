package io.tributary.model.llava;

import io.tributary.model.ExpertLoader;
import io.tributary.model.ImageProcessorFactory;
import io.tributary.model.LoadOptions;
import io.tributary.model.ModelLoadException;
import io.tributary.model.Precision;
import io.tributary.model.WeightLoading;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import io.tributary.model.tiny.TinyLlava;
import io.tributary.model.tiny.TinyLlavaSpec;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Key spellings, and every way a LLaVA checkpoint can disagree with its config, at load. */
class LlavaLoadingTest {

    private static final TinyLlavaSpec SPEC = TinyLlavaSpec.forTests().withSharpWeights(true);
    private static final TestImages IMAGES = new TestImages(SPEC.imageSize());
    private static final int IMAGE = TinyLlavaSpec.IMAGE_TOKEN_ID;

    @TempDir
    Path dir;

    /** A generated checkpoint whose weights went through {@code edit} before being written. */
    private Path checkpoint(UnaryOperator<List<Tensor>> edit) throws IOException {
        TinyLlava.write(dir, SPEC, 3);
        List<Tensor> tensors = edit.apply(new ArrayList<>(TinyLlava.weights(SPEC, 3)));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        return dir.resolve("model.safetensors");
    }

    private static UnaryOperator<List<Tensor>> renamed(UnaryOperator<String> rename) {
        return tensors -> tensors.stream()
                .map(t -> new Tensor(rename.apply(t.name()), t.dtype(), t.shape(), t.values()))
                .toList();
    }

    /** transformers 4.52+ spelling of a llava-hf legacy key. */
    private static String nested(String legacy) {
        if (legacy.startsWith("language_model.model.")) {
            return "model.language_model." + legacy.substring("language_model.model.".length());
        }
        if (legacy.startsWith("language_model.lm_head.")) {
            return legacy.substring("language_model.".length());
        }
        return "model." + legacy; // vision_tower.*, multi_modal_projector.*
    }

    /** The canonical (plain decoder) spelling. */
    private static String plain(String legacy) {
        return legacy.startsWith("language_model.") ? legacy.substring("language_model.".length()) : legacy;
    }

    private float[] logProbs(Path directory) {
        return logProbs(directory, LoadOptions.cpu());
    }

    private float[] logProbs(Path directory, LoadOptions options) {
        try (LlavaExpert expert = LlavaExpert.load("x", directory, options, IMAGES);
                ExpertSession session =
                        expert.open(new Prompt(new int[] {1, 40, IMAGE, 41}, List.of(TestImages.image(5))))) {
            session.nextLogProbs();
            session.append(42);
            return session.nextLogProbs();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nested", "plain"})
    void everyKeySpellingLoadsToIdenticalOutputs(String spelling, @TempDir Path legacyDir) throws IOException {
        TinyLlava.write(legacyDir, SPEC, 3);
        checkpoint(renamed(spelling.equals("nested") ? LlavaLoadingTest::nested : LlavaLoadingTest::plain));
        // Equal up to float32 summation order: renamed keys move the tensors to other file offsets, and mapped
        // weights of other alignment may take other SIMD paths (the same holds between two half-precision files).
        assertThat(logProbs(dir)).containsExactly(logProbs(legacyDir), within(1e-5f));
    }

    @Test
    void mappedAndReadWeightsGiveTheSameModel() throws IOException {
        TinyLlava.write(dir, SPEC, 3);
        assertThat(logProbs(dir, LoadOptions.cpu().withWeightLoading(WeightLoading.READ)))
                .containsExactly(logProbs(dir, LoadOptions.cpu().withWeightLoading(WeightLoading.MMAP)), within(1e-6f));
    }

    @Test
    void fp16PrecisionRunsOnCpuAndStaysCloseToFp32() throws IOException {
        TinyLlava.write(dir, SPEC, 3);
        // The same code in half precision: fp16 holds log-probs near -10 in steps of 0.008; allow a few steps.
        assertThat(logProbs(dir, new LoadOptions("cpu", Precision.FP16, WeightLoading.MMAP)))
                .containsExactly(logProbs(dir, LoadOptions.cpu()), within(5e-2f));
    }

    @Test
    void promptPositionsAreTheExpandedPromptsLength() throws IOException {
        TinyLlava.write(dir, SPEC, 3);
        Prompt prompt =
                new Prompt(new int[] {1, IMAGE, 40, IMAGE, 41}, List.of(TestImages.image(5), TestImages.image(6)));
        try (LlavaExpert expert = LlavaExpert.load("x", dir, LoadOptions.cpu(), IMAGES);
                ExpertSession session = expert.open(prompt)) {
            assertThat(expert.promptPositions(prompt))
                    .isEqualTo(session.length())
                    .isEqualTo(3 + 2 * SPEC.tokensPerImage());
        }
    }

    @Test
    void untiedHeadIsReadAndAnAbsentHeadMeansTied(@TempDir Path tiedDir) throws IOException {
        checkpoint(tensors -> {
            tensors.removeIf(t -> t.name().equals("language_model.lm_head.weight"));
            return tensors;
        });
        float[] tied = logProbs(dir);
        TinyLlava.write(tiedDir, SPEC, 3);
        assertThat(tied).as("the embeddings replace the absent head").isNotEqualTo(logProbs(tiedDir));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"legacy", "nested"})
    void missingTensorIsNamedInTheFilesSpelling(String spelling) throws IOException {
        String legacyKey = "vision_tower.vision_model.encoder.layers.1.mlp.fc2.bias";
        checkpoint(tensors -> {
            tensors.removeIf(t -> t.name().equals(legacyKey));
            return spelling.equals("nested") ? renamed(LlavaLoadingTest::nested).apply(tensors) : tensors;
        });
        String expected = spelling.equals("nested") ? nested(legacyKey) : legacyKey;
        assertThatThrownBy(() -> LlavaExpert.load("x", dir, LoadOptions.cpu(), IMAGES))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("LLaVA checkpoint")
                .hasMessageContaining("'" + expected + "' is missing from " + dir);
    }

    @Test
    void misShapedProjectorIsNamedWithItsFileAndBothShapes() throws IOException {
        Path file = checkpoint(tensors -> {
            tensors.replaceAll(t -> t.name().equals("multi_modal_projector.linear_1.weight")
                    ? new Tensor(t.name(), t.dtype(), new long[] {16, 64}, t.values())
                    : t);
            return tensors;
        });
        assertThatThrownBy(() -> LlavaExpert.load("x", dir, LoadOptions.cpu(), IMAGES))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'multi_modal_projector.linear_1.weight' in " + file)
                .hasMessageContaining("[16, 64]")
                .hasMessageContaining("expected [32, 32]");
    }

    @Test
    void unexpectedTensorIsNamedWithItsFile() throws IOException {
        Path file = checkpoint(tensors -> {
            tensors.add(new Tensor(
                    "vision_tower.vision_model.encoder.layers.2.mlp.fc1.bias",
                    tensors.get(0).dtype(),
                    new long[] {4},
                    new float[4]));
            return tensors;
        });
        assertThatThrownBy(() -> LlavaExpert.load("x", dir, LoadOptions.cpu(), IMAGES))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(
                        "unexpected tensor 'vision_tower.vision_model.encoder.layers.2.mlp.fc1.bias' in " + file);
    }

    @Test
    void truncatedFileFailsNamingTheTensorAndFile() throws IOException {
        Path file = checkpoint(tensors -> tensors);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(raf.length() - 100);
        }
        assertThatThrownBy(() -> LlavaExpert.load("x", dir, LoadOptions.cpu(), IMAGES))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("tensor 'vision_tower.vision_model.pre_layrnorm.bias'")
                .hasMessageContaining("truncated");
    }

    @Test
    void theRegistryLoadsLlavaWithTheImageProcessorItIsGiven() throws IOException {
        TinyLlava.write(dir, SPEC, 3);
        assertThatThrownBy(() -> ExpertLoader.withBuiltInFamilies(ImageProcessorFactory.NONE)
                        .load("x", dir, LoadOptions.cpu()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("image processor");
        try (Expert expert =
                        ExpertLoader.withBuiltInFamilies(directory -> IMAGES).load("x", dir, LoadOptions.cpu());
                ExpertSession session = expert.open(new Prompt(new int[] {1, IMAGE}, List.of(TestImages.image(1))))) {
            assertThat(expert).isInstanceOf(LlavaExpert.class);
            assertThat(session.nextLogProbs()).hasSize(TinyLlavaSpec.TEXT_VOCABULARY_SIZE);
            assertThat(session.length()).isEqualTo(1 + SPEC.tokensPerImage());
        }
    }

    @Test
    void configDefaultsAreTransformers() {
        LlavaConfig config = LlavaConfig.fromJson(new tools.jackson.databind.ObjectMapper().readTree("""
                {"vision_config": {"hidden_size": 1024, "image_size": 336, "intermediate_size": 4096,
                  "model_type": "clip_vision_model", "num_attention_heads": 16, "num_hidden_layers": 24,
                  "patch_size": 14, "projection_dim": 768, "vocab_size": 32000},
                 "text_config": {"model_type": "llama", "vocab_size": 32064, "rms_norm_eps": 1e-05}}"""));
        assertThat(config.imageTokenIndex()).isEqualTo(32000);
        assertThat(config.resolvedFeatureLayers()).containsExactly(23);
        assertThat(config.keepClassToken()).isFalse();
        assertThat(config.tokensPerImage()).isEqualTo(576);
        assertThat(config.projectorHiddenAct().configName()).isEqualTo("gelu");
        assertThat(config.vision().hiddenAct().configName()).isEqualTo("quick_gelu");
        assertThat(config.vision().layerNormEps()).isEqualTo(1e-5);
        assertThat(config.vision().numChannels()).isEqualTo(3);
        assertThat(config.text().hiddenSize()).isEqualTo(4096);
        assertThat(config.text().vocabSize()).isEqualTo(32064);
        LlavaConfig bare = LlavaConfig.fromJson(new tools.jackson.databind.ObjectMapper().readTree("{}"));
        assertThat(bare.vision().imageSize()).as("LLaVA's own default tower").isEqualTo(336);
        assertThat(bare.vision().patchSize()).isEqualTo(14);
        assertThat(bare.featureWidth()).isEqualTo(1024);
    }
}
