package io.tributary.model;

import io.tributary.model.image.ClipImageProcessor;
import io.tributary.model.image.InternVlImageProcessor;
import io.tributary.model.internvl.InternVlLayout;
import io.tributary.model.llava.LlavaExpert;
import io.tributary.model.tiny.TinyCheckpoints;
import io.tributary.model.tiny.TinyInternVl;
import io.tributary.model.tiny.TinyLlamaSpec;
import io.tributary.model.tiny.TinyLlava;
import io.tributary.model.tiny.TinyLlavaSpec;
import io.tributary.routing.Expert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The registry with its real image processors: every family loads, and says how its prompts write an image. */
class BuiltInFamiliesTest {

    private final ExpertLoader loader = ExpertLoader.withBuiltInFamilies();

    @TempDir
    Path dir;

    @Test
    void eachFamilyNamesItsImagePlaceholder() throws IOException {
        TinyCheckpoints.writeLlama(dir.resolve("llama"), TinyLlamaSpec.forTests(), 1);
        TinyLlava.write(dir.resolve("llava"), TinyLlavaSpec.forTests(), 1);
        TinyInternVl.write(dir.resolve("internvl"), TinyInternVl.Spec.forTests(), InternVlLayout.ORIGINAL, 1);
        TinyInternVl.write(dir.resolve("internvl-hf"), TinyInternVl.Spec.forTests(), InternVlLayout.TRANSFORMERS, 1);
        assertThat(loader.imagePlaceholder(dir.resolve("llama"))).isEmpty();
        assertThat(loader.imagePlaceholder(dir.resolve("llava"))).contains("<image>");
        assertThat(loader.imagePlaceholder(dir.resolve("internvl"))).contains("<IMG_CONTEXT>");
        assertThat(loader.imagePlaceholder(dir.resolve("internvl-hf"))).contains("<IMG_CONTEXT>");
        assertThatThrownBy(() -> loader.imagePlaceholder(dir.resolve("none"))).isInstanceOf(ModelLoadException.class);
    }

    @Test
    void llavaGetsTheClipProcessorOfItsPreprocessorConfigOrTheDefaultsAtTheTowersSize() throws IOException {
        TinyLlavaSpec spec = TinyLlavaSpec.forTests();
        TinyLlava.write(dir, spec, 1);
        ClipImageProcessor configured = (ClipImageProcessor) ImageProcessorFactory.DEFAULT.forCheckpoint(dir);
        assertThat(configured.config().cropHeight()).isEqualTo(spec.imageSize());
        Files.delete(dir.resolve("preprocessor_config.json"));
        ClipImageProcessor defaults = (ClipImageProcessor) ImageProcessorFactory.DEFAULT.forCheckpoint(dir);
        assertThat(defaults.config().shortestEdge()).isEqualTo(spec.imageSize());
        assertThat(defaults.config().imageMean())
                .containsExactly(configured.config().imageMean());
        try (Expert expert = loader.load("llava", dir, LoadOptions.cpu())) {
            assertThat(expert).isInstanceOf(LlavaExpert.class);
        }
    }

    @Test
    void internVlGetsTheTilingOfItsConfig() throws IOException {
        TinyInternVl.write(dir, TinyInternVl.Spec.forTests(), InternVlLayout.ORIGINAL, 1);
        InternVlImageProcessor processor = (InternVlImageProcessor) ImageProcessorFactory.DEFAULT.forCheckpoint(dir);
        assertThat(processor.config().imageSize()).isEqualTo(64);
        assertThat(processor.config().maxTiles()).isEqualTo(12);
        assertThat(processor.config().useThumbnail()).isTrue();
    }
}
