package io.tributary.model;

import io.tributary.model.image.ClipImageProcessor;
import io.tributary.model.image.ClipPreprocessorConfig;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.image.ImageProcessor;
import io.tributary.model.internvl.InternVlConfig;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

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

    /** The real processors with {@link ImageLimits#DEFAULT}: see {@link #builtIn(ImageLimits)}. */
    ImageProcessorFactory DEFAULT = builtIn(ImageLimits.DEFAULT);

    /** @throws ModelLoadException if the checkpoint's preprocessing configuration is missing or unsupported */
    ImageProcessor forCheckpoint(Path directory);

    /**
     * The processor each built-in family's Hugging Face processor is: InternVL checkpoints get
     * {@link io.tributary.model.image.InternVlImageProcessor} with the tiling their config states
     * ({@code config.json} in OpenGVLab's layout, {@code preprocessor_config.json} in transformers'); every other
     * (LLaVA) checkpoint gets {@link ClipImageProcessor} from {@code preprocessor_config.json}, or, when the
     * checkpoint has none, CLIPImageProcessor's defaults at the vision tower's {@code image_size} (transformers'
     * bare defaults are 224 px, which a 336-px tower could not read).
     */
    static ImageProcessorFactory builtIn(ImageLimits limits) {
        return directory -> {
            JsonNode config = readConfig(directory);
            if (isInternVl(config)) {
                return InternVlConfig.read(directory).imageProcessor(limits);
            }
            if (Files.isRegularFile(directory.resolve("preprocessor_config.json"))) {
                return ClipImageProcessor.forCheckpoint(directory, limits);
            }
            int size = config.path("vision_config").path("image_size").asInt(224);
            return new ClipImageProcessor(ClipPreprocessorConfig.defaults(size), limits);
        };
    }

    /** {@code InternVLChatModel} / {@code InternVLForConditionalGeneration}, or model_type internvl_chat / internvl. */
    static boolean isInternVl(JsonNode config) {
        Set<String> names =
                Set.of("InternVLChatModel", "InternVLForConditionalGeneration", "internvl_chat", "internvl");
        return names.contains(config.path("architectures").path(0).asString(""))
                || names.contains(config.path("model_type").asString(""));
    }

    private static JsonNode readConfig(Path directory) {
        Path file = directory.resolve(CheckpointInfo.CONFIG_FILE);
        try {
            return new ObjectMapper().readTree(file);
        } catch (JacksonException e) {
            throw new ModelLoadException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }
}
