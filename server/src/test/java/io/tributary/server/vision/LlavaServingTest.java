package io.tributary.server.vision;

import io.tributary.model.tiny.TinyLlava;
import io.tributary.model.tiny.TinyLlavaSpec;
import io.tributary.server.HttpTestClient;
import io.tributary.server.mixture.ManifestReader;
import io.tributary.server.mixture.MixtureManifest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static io.tributary.server.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two LLaVA experts fine-tuned around one frozen CLIP tower (the paper's paradigm), served over HTTP with images:
 * each image is encoded once per request for both experts, and a repeated image is not encoded again.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class LlavaServingTest {

    @TempDir
    static Path dir;

    @DynamicPropertySource
    static void llavaMixture(DynamicPropertyRegistry registry) {
        registry.add("tributary.mixture", () -> writeMixture().toString());
    }

    private static Path writeMixture() {
        try {
            TinyLlavaSpec spec = TinyLlavaSpec.forTests().withSharpWeights(true); // so the image sways the text
            TinyLlava.write(dir.resolve("cooking"), spec, 1, 100);
            TinyLlava.write(dir.resolve("astronomy"), spec, 2, 100);
            return ManifestReader.write(
                    dir.resolve("mixture.yaml"),
                    MixtureManifest.of(
                            "llava-pair", MixtureManifest.RouterEntry.of("uniform"), "cooking", "astronomy"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @LocalServerPort
    int port;

    HttpTestClient http;

    @BeforeEach
    void client() {
        http = new HttpTestClient(port);
    }

    @Test
    void bothExpertsReadTheImageEncodedOnce() throws Exception {
        double encodes = http.metric("tributary_image_encodes_total");
        String image = TestImages.markdownPng(1, 40, 30);
        String request = "{\"inputs\":\"USER: " + image + "\\nWhat is in the picture? ASSISTANT:\","
                + "\"parameters\":{\"max_new_tokens\":8,\"details\":true}}";

        HttpResponse<String> first = http.postJson("/generate", request);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        // Other tests' requests may have left the text before the image cached, never this image.
        int cachedAtFirst =
                json(first).get("details").get("cached_prompt_positions").asInt();
        JsonNode tokens = json(first).get("details").get("tokens");
        assertThat(tokens.size()).isPositive();
        assertThat(tokens.get(0).get("expert_weights")).hasSize(2);
        assertThat(http.metric("tributary_image_encodes_total") - encodes)
                .as("one encode for two experts")
                .isEqualTo(1);

        // Other text before the same image: the experts' prefix caches do not cover the image, the encoding is reused.
        double hits = http.metric("tributary_image_encoder_cache_hits_total");
        HttpResponse<String> other = http.postJson("/generate", request.replace("USER: ", "USER: Look. "));
        assertThat(other.statusCode()).isEqualTo(200);
        assertThat(http.metric("tributary_image_encodes_total") - encodes)
                .as("the same image is not encoded again")
                .isEqualTo(1);
        assertThat(http.metric("tributary_image_encoder_cache_hits_total") - hits)
                .isEqualTo(2);

        // The same request again: both experts take the image's positions from their prefix caches.
        double reused = http.metricTotal("tributary_prefix_cache_hits_total");
        HttpResponse<String> again = http.postJson("/generate", request);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(json(again).get("generated_text")).isEqualTo(json(first).get("generated_text"));
        assertThat(json(again).get("details").get("cached_prompt_positions").asInt())
                .as("the response says what came from the cache: the image too")
                .isGreaterThan(cachedAtFirst + 16);
        assertThat(http.metric("tributary_image_encoder_cache_hits_total") - hits)
                .as("the vision tower is not consulted")
                .isEqualTo(2);
        assertThat(http.metricTotal("tributary_prefix_cache_hits_total") - reused)
                .as("prompt positions the experts took from their caches")
                .isPositive();
    }

    @Test
    void theImageChangesWhatTheExpertsSay() throws Exception {
        String one = generate("USER: " + TestImages.markdownPng(2, 40, 30) + "\\nDescribe. ASSISTANT:");
        String other = generate("USER: " + TestImages.markdownPng(3, 40, 30) + "\\nDescribe. ASSISTANT:");
        assertThat(one).isNotEqualTo(other);
    }

    @Test
    void badImagesAreClientErrors() throws Exception {
        HttpResponse<String> corrupt = http.postJson(
                "/generate", "{\"inputs\":\"USER: ![](data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA) ASSISTANT:\"}");
        assertThat(corrupt.statusCode()).isEqualTo(422);
        assertThat(json(corrupt).get("error").asString()).startsWith("image 1: ");

        HttpResponse<String> stream = http.postJson(
                "/generate_stream", "{\"inputs\":\"USER: ![](data:image/png;base64,aGVsbG8=) ASSISTANT:\"}");
        assertThat(stream.statusCode()).as("refused before the stream starts").isEqualTo(422);
    }

    private String generate(String inputs) throws Exception {
        HttpResponse<String> response =
                http.postJson("/generate", "{\"inputs\":\"" + inputs + "\",\"parameters\":{\"max_new_tokens\":12}}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json(response).get("generated_text").asString();
    }
}
