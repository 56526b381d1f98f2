package io.tributary.model.internvl;

import io.tributary.model.ExpertLoader;
import io.tributary.model.LoadOptions;
import io.tributary.model.ModelLoadException;
import io.tributary.model.Precision;
import io.tributary.model.WeightLoading;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import io.tributary.model.tiny.TinyInternVl;
import io.tributary.model.tokenizer.HfTokenizer;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static io.tributary.model.tiny.TinyInternVl.IMG_CONTEXT_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Both key layouts, the image token ids, and every way an InternVL checkpoint can disagree with its config. */
class InternVlExpertLoadingTest {

    private static final TinyInternVl.Spec SPEC = TinyInternVl.Spec.forTests();
    private static final long SEED = 4;
    private static final ExpertLoader LOADER = ExpertLoader.withBuiltInFamilies();

    @TempDir
    Path dir;

    private static float[][] logProbs(Path directory) {
        return logProbs(directory, LoadOptions.cpu());
    }

    private static float[][] logProbs(Path directory, LoadOptions options) {
        try (Expert expert = LOADER.load("x", directory, options);
                ExpertSession session = expert.open(new Prompt(
                        new int[] {1, 40, IMG_CONTEXT_ID, 41}, List.of(InternVlExpertReferenceTest.png(96, 64, 5))))) {
            float[] first = session.nextLogProbs();
            session.append(42);
            return new float[][] {first, session.nextLogProbs()};
        }
    }

    @Test
    void bothKeyLayoutsLoadIntoTheSameModel() throws IOException {
        Path original = dir.resolve("original");
        Path transformers = dir.resolve("transformers");
        TinyInternVl.write(original, SPEC, InternVlLayout.ORIGINAL, SEED);
        TinyInternVl.write(transformers, SPEC, InternVlLayout.TRANSFORMERS, SEED);
        assertThat(LOADER.inspect(transformers).architectures()).containsExactly("InternVLForConditionalGeneration");
        float[][] expected = logProbs(original);
        float[][] actual = logProbs(transformers);
        for (int step = 0; step < 2; step++) {
            for (int i = 0; i < expected[step].length; i++) {
                assertThat(actual[step][i]).as("step %d token %d", step, i).isCloseTo(expected[step][i], within(1e-5f));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(InternVlLayout.class)
    void mappedAndReadWeightsGiveTheSameModel(InternVlLayout layout) throws IOException {
        TinyInternVl.write(dir, SPEC, layout, SEED);
        float[][] mapped = logProbs(dir, LoadOptions.cpu().withWeightLoading(WeightLoading.MMAP));
        float[][] read = logProbs(dir, LoadOptions.cpu().withWeightLoading(WeightLoading.READ));
        for (int step = 0; step < 2; step++) {
            assertThat(read[step]).as("step %d", step).containsExactly(mapped[step], within(1e-6f));
        }
    }

    @ParameterizedTest
    @EnumSource(InternVlLayout.class)
    void fp16PrecisionRunsOnCpuAndStaysCloseToFp32(InternVlLayout layout) throws IOException {
        TinyInternVl.write(dir, SPEC, layout, SEED);
        float[][] full = logProbs(dir, LoadOptions.cpu());
        float[][] half = logProbs(dir, new LoadOptions("cpu", Precision.FP16, WeightLoading.MMAP));
        // The same code in half precision: fp16 holds log-probs near -10 in steps of 0.008; allow a few steps.
        for (int step = 0; step < 2; step++) {
            assertThat(half[step]).as("step %d", step).containsExactly(full[step], within(5e-2f));
        }
    }

    @Test
    void promptPositionsAreTheExpandedPromptsLengthFromTheHeadersAlone() throws IOException {
        TinyInternVl.write(dir, SPEC, InternVlLayout.ORIGINAL, SEED);
        try (Expert expert = LOADER.load("x", dir, LoadOptions.cpu())) {
            for (int[] size : new int[][] {{64, 64}, {96, 64}, {256, 192}, {40, 300}}) {
                Prompt prompt = new Prompt(
                        new int[] {1, 40, IMG_CONTEXT_ID, 41, IMG_CONTEXT_ID},
                        List.of(
                                InternVlExpertReferenceTest.png(size[0], size[1], 3),
                                InternVlExpertReferenceTest.png(size[1], size[0], 4)));
                try (ExpertSession session = expert.open(prompt)) {
                    assertThat(expert.promptPositions(prompt))
                            .as("%dx%d", size[0], size[1])
                            .isEqualTo(session.length());
                }
            }
        }
    }

    @Test
    void modelTypeAloneSelectsTheFamily() throws IOException {
        TinyInternVl.write(dir, SPEC, InternVlLayout.ORIGINAL, SEED);
        Path config = dir.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"InternVLChatModel\"", ""));
        assertThat(LOADER.inspect(dir).architectures()).isEmpty();
        try (Expert expert = LOADER.load("by-type", dir, LoadOptions.cpu())) {
            assertThat(expert).isInstanceOf(InternVlExpert.class);
            assertThat(expert.vocabularySize()).isEqualTo(TinyInternVl.TEXT_VOCABULARY_SIZE);
        }
    }

    @Test
    void imageTokenIdsComeFromTheTokenizer() throws IOException {
        TinyInternVl.write(dir, SPEC, InternVlLayout.TRANSFORMERS, SEED);
        InternVlCheckpointConfig config = InternVlCheckpointConfig.read(dir);
        assertThat(config.tokens())
                .isEqualTo(
                        new InternVlSpecialTokens(TinyInternVl.IMG_START_ID, IMG_CONTEXT_ID, TinyInternVl.IMG_END_ID));
        assertThat(config.text().attentionBias()).isTrue();
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            int[] ids = tokenizer.encode(
                    "<|im_start|>user\n" + LOADER.imagePlaceholder(dir).orElseThrow() + "\nhi");
            assertThat(ids)
                    .contains(IMG_CONTEXT_ID, TinyInternVl.IM_START_ID)
                    .doesNotContain(TinyInternVl.IMG_START_ID);
        }
        assertThat(new tools.jackson.databind.ObjectMapper()
                        .readTree(dir.resolve("tokenizer_config.json"))
                        .path("chat_template")
                        .asString())
                .contains("<|im_start|>assistant\\n", "<IMG_CONTEXT>\\n");
        assertThat(LOADER.inspect(dir).eosTokenIds()).contains(TinyInternVl.IM_END_ID);
    }

    @Test
    void aConfigIdThatDisagreesWithTheTokenizerFails() throws IOException {
        TinyInternVl.write(dir, SPEC, InternVlLayout.TRANSFORMERS, SEED);
        Path config = dir.resolve("config.json");
        Files.writeString(
                config,
                Files.readString(config)
                        .replace("\"image_token_id\" : " + IMG_CONTEXT_ID, "\"image_token_id\" : 151667"));
        assertThatThrownBy(() -> InternVlCheckpointConfig.read(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("image_token_id is 151667")
                .hasMessageContaining("<IMG_CONTEXT> id 514");
        Files.writeString(
                dir.resolve("tokenizer.json"),
                Files.readString(dir.resolve("tokenizer.json")).replace("<IMG_CONTEXT>", "<ctx>"));
        Files.writeString(config, Files.readString(config).replace("151667", "514"));
        assertThatThrownBy(() -> LOADER.load("x", dir, LoadOptions.cpu()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("no added token <IMG_CONTEXT>");
    }

    @Test
    void anUnsupportedDecoderFailsNamingIt() throws IOException {
        TinyInternVl.write(dir, SPEC, InternVlLayout.ORIGINAL, SEED);
        Path config = dir.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"Qwen2ForCausalLM\"", "\"InternLM2ForCausalLM\""));
        assertThatThrownBy(() -> LOADER.load("x", dir, LoadOptions.cpu()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("InternLM2ForCausalLM")
                .hasMessageContaining("llm_config");
    }

    /** The tiny checkpoint's tensors in {@code layout}, edited, rewritten over its weights file. */
    private Path rewritten(InternVlLayout layout, UnaryOperator<List<Tensor>> edit) throws IOException {
        TinyInternVl.write(dir, SPEC, layout, SEED);
        List<Tensor> tensors = new ArrayList<>(TinyInternVlVision.visionTensors(SPEC.vision(), layout, SEED));
        for (Tensor t : TinyInternVl.decoderWeights(SPEC, SEED)) {
            tensors.add(new Tensor(TinyInternVlVision.llmName(t.name(), layout), t.dtype(), t.shape(), t.values()));
        }
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter.write(file, edit.apply(tensors), Map.of("format", "pt"));
        return file;
    }

    @Test
    void missingTensorsOfBothHalvesAreReportedTogetherByNameAndFile() throws IOException {
        rewritten(
                InternVlLayout.ORIGINAL,
                tensors -> tensors.stream()
                        .filter(t -> !t.name().equals("language_model.model.layers.1.self_attn.k_proj.bias")
                                && !t.name().equals("vision_model.encoder.layers.0.ls2"))
                        .toList());
        assertThatThrownBy(() -> LOADER.load("x", dir, LoadOptions.cpu()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'language_model.model.layers.1.self_attn.k_proj.bias' is missing")
                .hasMessageContaining("'vision_model.encoder.layers.0.ls2' is missing")
                .hasMessageContaining(dir.toString());
    }

    @Test
    void aMisShapedOrUnexpectedTensorIsReportedInTheTransformersSpelling() throws IOException {
        Path file = rewritten(InternVlLayout.TRANSFORMERS, tensors -> {
            List<Tensor> edited = new ArrayList<>(tensors.stream()
                    .map(t -> t.name().equals("model.multi_modal_projector.linear_2.weight")
                            ? new Tensor(t.name(), t.dtype(), new long[] {64, 256}, t.values())
                            : t)
                    .toList());
            edited.add(new Tensor(
                    "model.vision_tower.encoder.layer.0.extra", edited.get(0).dtype(), new long[] {1}, new float[] {1
                    }));
            return edited;
        });
        assertThatThrownBy(() -> LOADER.load("x", dir, LoadOptions.cpu()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'model.multi_modal_projector.linear_2.weight' in " + file)
                .hasMessageContaining("expected [128, 128]")
                .hasMessageContaining("unexpected tensor 'model.vision_tower.encoder.layer.0.extra' in " + file);
    }

    @Test
    void aTruncatedFileFailsNamingTheFile() throws IOException {
        TinyInternVl.write(dir, SPEC, InternVlLayout.ORIGINAL, SEED);
        Path file = dir.resolve("model.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(raf.length() - 1000);
        }
        assertThatThrownBy(() -> LOADER.load("x", dir, LoadOptions.cpu()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("truncated");
    }
}
