package io.tributary.model;

import io.tributary.model.llama.LlamaExpert;
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

    /** Llama today; LLaVA and InternVL slot in here. */
    public static ExpertLoader withBuiltInFamilies() {
        Map<String, ExpertFamily> architectures = new LinkedHashMap<>();
        architectures.put("LlamaForCausalLM", LlamaExpert::load);
        Map<String, ExpertFamily> modelTypes = new LinkedHashMap<>();
        modelTypes.put("llama", LlamaExpert::load);
        return new ExpertLoader(architectures, modelTypes);
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
