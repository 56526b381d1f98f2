package io.tributary.model;

import io.tributary.routing.Expert;
import java.nio.file.Path;

/** Loads checkpoints of one model family (Llama, LLaVA, InternVL, ...) as experts. */
@FunctionalInterface
public interface ExpertFamily {

    /**
     * @param name      the expert's name in the mixture manifest
     * @param directory a Hugging Face checkpoint directory (config.json, safetensors weights)
     * @throws ModelLoadException naming the file and tensor when the checkpoint does not fit the family
     */
    Expert load(String name, Path directory, LoadOptions options);
}
