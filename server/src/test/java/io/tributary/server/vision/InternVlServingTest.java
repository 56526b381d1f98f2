package io.tributary.server.vision;

import io.tributary.model.internvl.InternVlLayout;
import io.tributary.model.tiny.TinyInternVl;
import io.tributary.server.HttpTestClient;
import io.tributary.server.mixture.ManifestReader;
import io.tributary.server.mixture.MixtureManifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import static io.tributary.server.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/** Two InternVL experts, one per key layout, serving prompts with images in InternVL 2.5's chat format. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class InternVlServingTest {

    @TempDir
    static Path dir;

    @DynamicPropertySource
    static void internVlMixture(DynamicPropertyRegistry registry) {
        registry.add("tributary.mixture", () -> writeMixture().toString());
    }

    private static Path writeMixture() {
        try {
            TinyInternVl.write(dir.resolve("original"), TinyInternVl.Spec.forTests(), InternVlLayout.ORIGINAL, 1);
            TinyInternVl.write(
                    dir.resolve("transformers"), TinyInternVl.Spec.forTests(), InternVlLayout.TRANSFORMERS, 2);
            return ManifestReader.write(
                    dir.resolve("mixture.yaml"),
                    MixtureManifest.of(
                            "internvl-pair", MixtureManifest.RouterEntry.of("uniform"), "original", "transformers"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @LocalServerPort
    int port;

    @Test
    void answersAboutTiledImages() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        List<String> answers = new java.util.ArrayList<>();
        for (String image : List.of(TestImages.markdownPng(5, 128, 64), TestImages.markdownPng(6, 64, 64))) {
            HttpResponse<String> response = http.postJson(
                    "/generate",
                    "{\"inputs\":\"<|im_start|>user\\n" + image
                            + "\\nWhat is shown?<|im_end|>\\n<|im_start|>assistant\\n\",\"parameters\":{\"max_new_tokens\":10,"
                            + "\"details\":true}}");
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(json(response).get("details").get("tokens").get(0).get("expert_weights"))
                    .hasSize(2);
            answers.add(json(response).get("generated_text").asString());
        }
        assertThat(answers.get(0)).isNotEqualTo(answers.get(1));
    }

    @Test
    void aPromptWhoseImageTilesOverflowTheContextIsRefusedBeforeDecoding() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        // 4:3 images tile 4x3 plus a thumbnail: 13 tiles of 64 tokens, 833 positions each; the context holds 2048.
        String image = TestImages.markdownPng(7, 256, 192);
        String three = "{\"inputs\":\"<|im_start|>user\\n" + image + image + image
                + "\\nCompare.<|im_end|>\\n<|im_start|>assistant\\n\",\"parameters\":{\"max_new_tokens\":4}}";
        for (String endpoint : List.of("/generate", "/generate_stream")) {
            HttpResponse<String> response = http.postJson(endpoint, three);
            assertThat(response.statusCode())
                    .as(endpoint + ": " + response.body())
                    .isEqualTo(422);
            assertThat(json(response).get("error").asString())
                    .contains("must be <= 2048")
                    .contains("the images expanded");
        }
        String two = three.replace(image + image + image, image + image);
        assertThat(http.postJson("/generate", two).statusCode()).isEqualTo(200);
    }
}
