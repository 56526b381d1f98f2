package io.tributary.model;

import io.tributary.model.llama.LlamaExpert;
import io.tributary.model.llava.LlavaExpert;
import io.tributary.model.tokenizer.HfTokenizer;
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

    private final Map<String, ExpertFamily> byArchitecture;
    private final Map<String, ExpertFamily> byModelType;

    public ExpertLoader(Map<String, ExpertFamily> byArchitecture, Map<String, ExpertFamily> byModelType) {
        this.byArchitecture = Collections.unmodifiableMap(new LinkedHashMap<>(byArchitecture));
        this.byModelType = Collections.unmodifiableMap(new LinkedHashMap<>(byModelType));
    }

    /**
     * Llama, Qwen2 and LLaVA; InternVL slots in here. LLaVA experts read images through the CLIP image processor
     * the factory builds from each checkpoint's {@code preprocessor_config.json}.
     */
    public static ExpertLoader withBuiltInFamilies(ImageProcessorFactory images) {
        Map<String, ExpertFamily> architectures = new LinkedHashMap<>();
        architectures.put("LlamaForCausalLM", LlamaExpert::load);
        architectures.put("Qwen2ForCausalLM", LlamaExpert::load);
        ExpertFamily llava = (name, directory, options) -> LlavaExpert.load(name, directory, options,
                images.forCheckpoint(directory));
        architectures.put("LlavaForConditionalGeneration", llava);
        Map<String, ExpertFamily> modelTypes = new LinkedHashMap<>();
        modelTypes.put("llama", LlamaExpert::load);
        modelTypes.put("qwen2", LlamaExpert::load);
        modelTypes.put("llava", llava);
        return new ExpertLoader(architectures, modelTypes);
    }

    /**
     * Text families only: a vision-language checkpoint fails to load, naming the missing image processor. Kept
     * until the CLIP image processor lands; then {@link #withBuiltInFamilies(ImageProcessorFactory)} with it.
     */
    public static ExpertLoader withBuiltInFamilies() {
        return withBuiltInFamilies(ImageProcessorFactory.NONE);
    }

    /** Reads what the checkpoint says about itself; no weights. */
    public CheckpointInfo inspect(Path directory) {
        return CheckpointInfo.read(directory);
    }

    /**
     * Loads the checkpoint as an expert of the matching family.
     *
     * @throws ModelLoadException if the architecture is not supported or the checkpoint is broken
     */
    public Expert load(String name, Path directory, LoadOptions options) {
        CheckpointInfo info = inspect(directory);
        return family(info).orElseThrow(() -> new ModelLoadException(directory + ": unsupported architecture "
                + info.architectures() + " (model_type '" + info.modelType() + "'); supported architectures: "
                + byArchitecture.keySet())).load(name, directory, options);
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
