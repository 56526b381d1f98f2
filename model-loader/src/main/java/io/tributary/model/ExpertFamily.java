package io.tributary.model;

import io.tributary.routing.Expert;

import java.nio.file.Path;
import java.util.Optional;

/** Loads checkpoints of one model family (Llama, LLaVA, InternVL, ...) as experts. */
@FunctionalInterface
public interface ExpertFamily {

    /**
     * @param name      the expert's name in the mixture manifest
     * @param directory a Hugging Face checkpoint directory (config.json, safetensors weights)
     * @throws ModelLoadException naming the file and tensor when the checkpoint does not fit the family
     */
    Expert load(String name, Path directory, LoadOptions options);

    /**
     * The text one image is written as in a prompt of this family, before tokenizing: the single special token
     * each of its experts expands into image features ({@code <image>} for LLaVA, {@code <IMG_CONTEXT>} for
     * InternVL). Empty for text-only families.
     */
    default Optional<String> imagePlaceholder() {
        return Optional.empty();
    }

    /** A vision-language family: {@code loader}, whose prompts write each image as {@code placeholder}. */
    static ExpertFamily withImages(ExpertFamily loader, String placeholder) {
        Optional<String> text = Optional.of(placeholder);
        return new ExpertFamily() {
            @Override
            public Expert load(String name, Path directory, LoadOptions options) {
                return loader.load(name, directory, options);
            }

            @Override
            public Optional<String> imagePlaceholder() {
                return text;
            }
        };
    }
}
