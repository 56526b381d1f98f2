package io.tributary.model;

import io.tributary.model.image.ImageProcessor;
import java.nio.file.Path;

/**
 * Builds the image processor a vision-language checkpoint needs, from its directory
 * ({@code preprocessor_config.json}). Given to {@link ExpertLoader} so families stay free of image decoding.
 */
@FunctionalInterface
public interface ImageProcessorFactory {

    /** For text-only deployments: any vision-language checkpoint fails to load, saying why. */
    ImageProcessorFactory NONE = directory -> {
        throw new ModelLoadException(directory + ": a vision-language checkpoint needs an image processor, and"
                + " this loader was built without one (ExpertLoader.withBuiltInFamilies(ImageProcessorFactory))");
    };

    /** @throws ModelLoadException if the checkpoint's preprocessing configuration is missing or unsupported */
    ImageProcessor forCheckpoint(Path directory);
}
