package io.tributary.tools.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.model.ExpertLoader;
import io.tributary.model.LoadOptions;
import io.tributary.model.internvl.InternVlExpert;
import io.tributary.model.llama.LlamaExpert;
import io.tributary.model.llava.LlavaExpert;
import io.tributary.routing.Expert;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tiny-checkpoint command writes every built-in family, each of which the registry then loads. */
class GenerateCheckpointTest {

    private final ExpertLoader loader = ExpertLoader.withBuiltInFamilies();

    @TempDir
    Path dir;

    @Test
    void generateCheckpointWritesEveryFamily() throws IOException {
        assertThat(GenerateCheckpoint.generate("--family", "llama", "--out", dir.resolve("a").toString(),
                "--hidden", "64", "--layers", "1", "--heads", "4", "--kv-heads", "2", "--intermediate", "96"))
                .contains("Llama");
        GenerateCheckpoint.generate("--family", "llava", "--out", dir.resolve("b").toString(), "--sharp");
        GenerateCheckpoint.generate("--family", "internvl", "--out", dir.resolve("c").toString(),
                "--layout", "transformers", "--seed", "3");
        for (var expected : new Object[][] {{"a", LlamaExpert.class, Optional.empty()},
                {"b", LlavaExpert.class, Optional.of("<image>")},
                {"c", InternVlExpert.class, Optional.of("<IMG_CONTEXT>")}}) {
            Path checkpoint = dir.resolve((String) expected[0]);
            try (Expert expert = loader.load("e", checkpoint, LoadOptions.cpu())) {
                assertThat(expert).isInstanceOf((Class<?>) expected[1]);
                assertThat(loader.imagePlaceholder(checkpoint)).isEqualTo(expected[2]);
            }
        }
        assertThatThrownBy(() -> GenerateCheckpoint.generate("--family", "mamba", "--out", dir.toString()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("llama, llava or internvl");
        assertThatThrownBy(() -> GenerateCheckpoint.generate("--family", "llava", "--hidden", "8", "--out",
                dir.toString())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("llama only");
    }
}
