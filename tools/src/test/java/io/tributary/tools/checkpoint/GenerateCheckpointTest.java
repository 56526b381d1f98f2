package io.tributary.tools.checkpoint;

import io.tributary.model.ExpertLoader;
import io.tributary.model.LoadOptions;
import io.tributary.model.internvl.InternVlExpert;
import io.tributary.model.llama.LlamaExpert;
import io.tributary.model.llava.LlavaExpert;
import io.tributary.routing.Expert;
import io.tributary.tools.CommandRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The tiny-checkpoint command writes every built-in family, each of which the registry then loads. */
class GenerateCheckpointTest {

    private final ExpertLoader loader = ExpertLoader.withBuiltInFamilies();

    @TempDir
    Path dir;

    @Test
    void writesEveryFamily() {
        CommandRun llama = CommandRun.of(
                "tiny-checkpoint",
                "--family",
                "llama",
                "--out",
                dir.resolve("a").toString(),
                "--hidden",
                "64",
                "--layers",
                "1",
                "--heads",
                "4",
                "--kv-heads",
                "2",
                "--intermediate",
                "96");
        assertThat(llama.code()).as(llama.err()).isZero();
        assertThat(llama.out()).contains("wrote Llama");
        assertThat(CommandRun.of(
                                "tiny-checkpoint",
                                "--family",
                                "llava",
                                "--out",
                                dir.resolve("b").toString(),
                                "--sharp")
                        .code())
                .isZero();
        assertThat(CommandRun.of(
                                "tiny-checkpoint",
                                "--family",
                                "internvl",
                                "--out",
                                dir.resolve("c").toString(),
                                "--layout",
                                "transformers",
                                "--seed",
                                "3")
                        .code())
                .isZero();
        for (var expected : new Object[][] {
            {"a", LlamaExpert.class, Optional.empty()},
            {"b", LlavaExpert.class, Optional.of("<image>")},
            {"c", InternVlExpert.class, Optional.of("<IMG_CONTEXT>")}
        }) {
            Path checkpoint = dir.resolve((String) expected[0]);
            try (Expert expert = loader.load("e", checkpoint, LoadOptions.cpu())) {
                assertThat(expert).isInstanceOf((Class<?>) expected[1]);
                assertThat(loader.imagePlaceholder(checkpoint)).isEqualTo(expected[2]);
            }
        }
    }

    @Test
    void anUnknownFamilyOrALlamaOptionElsewhereIsRefused() {
        CommandRun family = CommandRun.of("tiny-checkpoint", "--family", "mamba", "--out", dir.toString());
        assertThat(family.code()).isEqualTo(2);
        assertThat(family.err()).contains("--family must be llama, llava or internvl, got mamba");

        CommandRun llamaOnly =
                CommandRun.of("tiny-checkpoint", "--family", "llava", "--hidden", "8", "--out", dir.toString());
        assertThat(llamaOnly.code()).isEqualTo(2);
        assertThat(llamaOnly.err()).contains("size and dtype options apply to --family llama only");

        CommandRun layout =
                CommandRun.of("tiny-checkpoint", "--family", "internvl", "--layout", "hf", "--out", dir.toString());
        assertThat(layout.code()).isEqualTo(2);
        assertThat(layout.err()).contains("--layout must be original or transformers, got hf");
        assertThat(dir).isEmptyDirectory();
    }
}
