package io.tributary.model;

import io.tributary.model.tiny.TinyCheckpoints;
import io.tributary.model.tiny.TinyLlamaSpec;
import io.tributary.routing.Expert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExpertLoaderTest {

    @TempDir
    Path dir;

    private final ExpertLoader loader = ExpertLoader.withBuiltInFamilies();

    @Test
    void unsupportedArchitectureFailsNamingIt() throws IOException {
        TinyCheckpoints.writeLlama(dir, TinyLlamaSpec.forTests(), 1);
        Path config = dir.resolve("config.json");
        Files.writeString(
                config,
                Files.readString(config)
                        .replace("LlamaForCausalLM", "MambaForCausalLM")
                        .replace("\"llama\"", "\"mamba\""));
        assertThatThrownBy(() -> loader.load("m", dir, LoadOptions.cpu()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("MambaForCausalLM")
                .hasMessageContaining("LlamaForCausalLM")
                .hasMessageContaining(dir.toString());
    }

    @Test
    void modelTypeSelectsTheFamilyWhenArchitecturesAreAbsent() throws IOException {
        TinyCheckpoints.writeLlama(dir, TinyLlamaSpec.forTests(), 1);
        Path config = dir.resolve("config.json");
        String withoutArchitectures =
                Files.readString(config).replaceAll("\"architectures\" : \\[ \"LlamaForCausalLM\" \\],", "");
        Files.writeString(config, withoutArchitectures);
        assertThat(loader.inspect(dir).architectures()).isEmpty();
        try (Expert expert = loader.load("by-type", dir, LoadOptions.cpu())) {
            assertThat(expert.name()).isEqualTo("by-type");
        }
    }

    @Test
    void eosIdsComeFromGenerationConfigFirst() throws IOException {
        TinyCheckpoints.writeLlama(dir, TinyLlamaSpec.forTests(), 1);
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [2, 7]}");
        assertThat(loader.inspect(dir).eosTokenIds()).containsExactlyInAnyOrder(2, 7);
        Files.delete(dir.resolve("generation_config.json"));
        assertThat(loader.inspect(dir).eosTokenIds()).containsExactly(2);
    }

    @Test
    void notACheckpointDirectory() {
        assertThatThrownBy(() -> loader.load("none", dir, LoadOptions.cpu()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("config.json");
    }

    @Test
    void loadOptionsAcceptOnlyKnownDevices() {
        assertThat(LoadOptions.cpu().device()).isEqualTo("cpu");
        assertThat(new LoadOptions("cuda:1", Precision.FP16, WeightLoading.MMAP).gpuIndex())
                .isEqualTo(1);
        assertThatThrownBy(() -> new LoadOptions("tpu", Precision.FP32, WeightLoading.MMAP))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
