package io.tributary.model.tiny;

import io.tributary.model.tokenizer.HfTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TinyLlavaTest {

    private static final List<String> FILES = List.of(
            "config.json",
            "generation_config.json",
            "model.safetensors",
            "preprocessor_config.json",
            "tokenizer.json",
            "tokenizer_config.json");

    @TempDir
    Path dir;

    @Test
    void deterministicPerSeed() throws IOException {
        TinyLlava.write(dir.resolve("a"), TinyLlavaSpec.forTests(), 7);
        TinyLlava.write(dir.resolve("b"), TinyLlavaSpec.forTests(), 7);
        TinyLlava.write(dir.resolve("c"), TinyLlavaSpec.forTests(), 8);
        for (String file : FILES) {
            assertThat(Files.readAllBytes(dir.resolve("b").resolve(file)))
                    .as(file)
                    .isEqualTo(Files.readAllBytes(dir.resolve("a").resolve(file)));
        }
        assertThat(Files.readAllBytes(dir.resolve("c/model.safetensors")))
                .isNotEqualTo(Files.readAllBytes(dir.resolve("a/model.safetensors")));
    }

    @Test
    void tokenizerHasTheImageTokenAndTheLlavaChatTemplate() throws IOException {
        TinyLlava.write(dir, TinyLlavaSpec.forTests(), 1);
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertThat(tokenizer.specialTokenId("<image>")).hasValue(TinyLlavaSpec.IMAGE_TOKEN_ID);
            int[] ids = tokenizer.encode("USER: <image>\nWhat is this? ASSISTANT:");
            assertThat(Arrays.stream(ids)
                            .filter(id -> id == TinyLlavaSpec.IMAGE_TOKEN_ID)
                            .count())
                    .isEqualTo(1);
            assertThat(ids[0]).isEqualTo(TinyTokenizer.BOS_ID);
        }
        JsonNode tokenizerConfig = new ObjectMapper().readTree(dir.resolve("tokenizer_config.json"));
        assertThat(tokenizerConfig.get("chat_template").asString())
                .contains("ASSISTANT:")
                .contains("<image>\\n");
        assertThat(tokenizerConfig
                        .path("added_tokens_decoder")
                        .path(String.valueOf(TinyLlavaSpec.IMAGE_TOKEN_ID))
                        .path("content")
                        .asString())
                .isEqualTo("<image>");
    }

    @Test
    void configsHaveLlavaHfsShape() throws IOException {
        TinyLlava.write(dir, TinyLlavaSpec.forTests(), 1);
        JsonNode config = new ObjectMapper().readTree(dir.resolve("config.json"));
        assertThat(config.get("architectures").get(0).asString()).isEqualTo("LlavaForConditionalGeneration");
        assertThat(config.path("vision_config").has("hidden_act"))
                .as("left to CLIP's default")
                .isFalse();
        assertThat(config.get("image_seq_length").asInt()).isEqualTo(16);
        JsonNode preprocessor = new ObjectMapper().readTree(dir.resolve("preprocessor_config.json"));
        assertThat(preprocessor.get("image_processor_type").asString()).isEqualTo("CLIPImageProcessor");
        assertThat(preprocessor.get("size").get("shortest_edge").asInt()).isEqualTo(8);
        assertThat(preprocessor.get("crop_size").get("height").asInt()).isEqualTo(8);
        assertThat(TinyLlava.weights(TinyLlavaSpec.forTests(), 1).get(0).name())
                .isEqualTo("language_model.model.embed_tokens.weight");
    }
}
