package io.tributary.model;

import io.tributary.model.internvl.InternVlExpert;
import io.tributary.model.llama.LlamaExpert;
import io.tributary.model.llava.LlavaExpert;
import io.tributary.model.tokenizer.HfTokenizer;
import io.tributary.model.vision.VisionTowers;
import io.tributary.routing.Expert;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The registry of expert families: maps a checkpoint's {@code config.json} ({@code architectures}, else
 * {@code model_type}) to the code that runs it. Explicit on purpose: a new family is one line in
 * {@link #withBuiltInFamilies()}, and an unknown architecture fails naming itself and what is supported.
 */
public final class ExpertLoader {

    /** llava-hf's image token ({@code image_token_index}, 32000 in llava-1.5-7b-hf). */
    public static final String LLAVA_IMAGE_PLACEHOLDER = "<image>";

    private final Map<String, ExpertFamily> byArchitecture;
    private final Map<String, ExpertFamily> byModelType;

    public ExpertLoader(Map<String, ExpertFamily> byArchitecture, Map<String, ExpertFamily> byModelType) {
        this.byArchitecture = Collections.unmodifiableMap(new LinkedHashMap<>(byArchitecture));
        this.byModelType = Collections.unmodifiableMap(new LinkedHashMap<>(byModelType));
    }

    /**
     * Llama, Qwen2, LLaVA-1.5 and InternVL 2.5 (either key layout). Vision-language experts read images through the
     * processor {@code images} builds for each checkpoint.
     */
    public static ExpertLoader withBuiltInFamilies(ImageProcessorFactory images) {
        return withBuiltInFamilies(images, null);
    }

    /**
     * As {@link #withBuiltInFamilies(ImageProcessorFactory)}; LLaVA experts take their CLIP tower from
     * {@code towers}, so experts with identical towers hold the weights once and encode each image once
     * ({@code null}: each expert holds its own tower).
     */
    public static ExpertLoader withBuiltInFamilies(ImageProcessorFactory images, VisionTowers towers) {
        ExpertFamily llava = ExpertFamily.withImages(
                (name, directory, options) ->
                        LlavaExpert.load(name, directory, options, images.forCheckpoint(directory), towers),
                LLAVA_IMAGE_PLACEHOLDER);
        ExpertFamily internVl = ExpertFamily.withImages(
                (name, directory, options) ->
                        InternVlExpert.load(name, directory, options, images.forCheckpoint(directory)),
                InternVlExpert.IMAGE_PLACEHOLDER);
        Map<String, ExpertFamily> architectures = new LinkedHashMap<>();
        architectures.put("LlamaForCausalLM", LlamaExpert::load);
        architectures.put("Qwen2ForCausalLM", LlamaExpert::load);
        architectures.put("LlavaForConditionalGeneration", llava);
        architectures.put("InternVLChatModel", internVl);
        architectures.put("InternVLForConditionalGeneration", internVl);
        Map<String, ExpertFamily> modelTypes = new LinkedHashMap<>();
        modelTypes.put("llama", LlamaExpert::load);
        modelTypes.put("qwen2", LlamaExpert::load);
        modelTypes.put("llava", llava);
        modelTypes.put("internvl_chat", internVl);
        modelTypes.put("internvl", internVl);
        return new ExpertLoader(architectures, modelTypes);
    }

    /**
     * Every built-in family, vision-language ones reading images through the real processors
     * ({@link ImageProcessorFactory#DEFAULT}: CLIP for LLaVA, dynamic tiling for InternVL, default size limits).
     */
    public static ExpertLoader withBuiltInFamilies() {
        return withBuiltInFamilies(ImageProcessorFactory.DEFAULT);
    }

    /**
     * The text one image must be written as in a prompt for this checkpoint, before tokenizing: {@code <image>}
     * for LLaVA, {@code <IMG_CONTEXT>} for InternVL (each expert expands its placeholder itself); empty for
     * text-only families. A server turns each inline image (TGI's markdown {@code ![](data:...)}) into it.
     *
     * @throws ModelLoadException if the directory is no checkpoint or its architecture is not supported
     */
    public Optional<String> imagePlaceholder(Path directory) {
        return familyOf(directory).imagePlaceholder();
    }

    /** Reads what the checkpoint says about itself; no weights. */
    public CheckpointInfo inspect(Path directory) {
        return CheckpointInfo.read(directory);
    }

    /**
     * Loads the checkpoint as an expert of the matching family, precision {@code auto} resolved for it first
     * ({@link AutoPrecision}).
     *
     * @throws ModelLoadException if the architecture is not supported or the checkpoint is broken
     */
    public Expert load(String name, Path directory, LoadOptions options) {
        ExpertFamily family = familyOf(directory);
        return family.load(name, directory, AutoPrecision.resolve(options, directory));
    }

    private ExpertFamily familyOf(Path directory) {
        CheckpointInfo info = inspect(directory);
        return family(info)
                .orElseThrow(() -> new ModelLoadException(directory + ": unsupported architecture "
                        + info.architectures() + " (model_type '" + info.modelType() + "'); supported architectures: "
                        + byArchitecture.keySet()));
    }

    private Optional<ExpertFamily> family(CheckpointInfo info) {
        if (!info.architectures().isEmpty()) {
            // transformers instantiates the first listed architecture; a config naming several is rare.
            return Optional.ofNullable(byArchitecture.get(info.architectures().get(0)));
        }
        return Optional.ofNullable(byModelType.get(info.modelType()));
    }

    /** The checkpoint's tokenizer. The caller closes it. */
    public HfTokenizer loadTokenizer(Path directory) {
        return HfTokenizer.load(directory);
    }
}
