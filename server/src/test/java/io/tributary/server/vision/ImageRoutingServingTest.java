package io.tributary.server.vision;

import io.tributary.model.LoadOptions;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import io.tributary.model.tiny.TinyClip;
import io.tributary.model.tiny.TinyLlava;
import io.tributary.model.tiny.TinyLlavaSpec;
import io.tributary.model.vision.ClipFeatureExtractor;
import io.tributary.model.vision.VisionTowers;
import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;
import io.tributary.server.HttpTestClient;
import io.tributary.server.mixture.ManifestReader;
import io.tributary.server.mixture.MixtureManifest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static io.tributary.server.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The paper's routing end to end: a CLIP router (the same frozen tower as the LLaVA experts) puts each image on the
 * expert whose cluster centroid it is closest to. The centroids are the features of two reference images, so image A
 * must go to the first expert and image B to the second, each image encoded once for router and expert together.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the encode count needs images the server has not seen yet
class ImageRoutingServingTest {

    private static final String APP = "{application=\"tributary\"}";
    private static final String IMAGE_A = TestImages.markdownPng(11, 40, 30);
    private static final String IMAGE_B = TestImages.markdownPng(12, 30, 40);

    @TempDir
    static Path dir;

    @DynamicPropertySource
    static void routedMixture(DynamicPropertyRegistry registry) {
        registry.add("tributary.mixture", () -> writeMixture().toString());
    }

    private static Path writeMixture() {
        try {
            TinyLlavaSpec spec = TinyLlavaSpec.forTests().withSharpWeights(true);
            TinyLlava.write(dir.resolve("expert-a"), spec, 1, 100);
            TinyLlava.write(dir.resolve("expert-b"), spec, 2, 100);
            TinyClip.write(dir.resolve("clip"), spec, 100, false);
            float[] a;
            float[] b;
            try (VisionTowers towers = new VisionTowers();
                    ClipFeatureExtractor clip = ClipFeatureExtractor.load(
                            dir.resolve("clip"), LoadOptions.cpu(), ImageLimits.DEFAULT, towers)) {
                a = clip.extract(prompt(IMAGE_A)).orElseThrow();
                b = clip.extract(prompt(IMAGE_B)).orElseThrow();
            }
            float[] centroids = new float[2 * a.length];
            System.arraycopy(a, 0, centroids, 0, a.length);
            System.arraycopy(b, 0, centroids, a.length, b.length);
            SafetensorsWriter.write(
                    dir.resolve("clusters.safetensors"),
                    List.of(
                            new Tensor("centroids", SafetensorsDType.F32, new long[] {2, a.length}, centroids),
                            new Tensor(
                                    "global_mean", SafetensorsDType.F32, new long[] {a.length}, new float[a.length])),
                    Map.of());
            MixtureManifest manifest = new MixtureManifest(
                    "routed",
                    List.of(
                            new MixtureManifest.ExpertEntry("expert-a", "expert-a"),
                            new MixtureManifest.ExpertEntry("expert-b", "expert-b")),
                    new MixtureManifest.RouterEntry(
                            "hard", null, 10.0, null, null, "clusters.safetensors", null, "clip"));
            return ManifestReader.write(dir.resolve("mixture.yaml"), manifest);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Prompt prompt(String markdownImage) {
        String base64 = markdownImage.substring(markdownImage.indexOf(",") + 1, markdownImage.length() - 1);
        return new Prompt(
                new int[] {1, TinyLlavaSpec.IMAGE_TOKEN_ID},
                List.of(new ImageInput(Base64.getDecoder().decode(base64), "image/png")));
    }

    @LocalServerPort
    int port;

    HttpTestClient http;

    @BeforeEach
    void client() {
        http = new HttpTestClient(port);
    }

    @Test
    @Order(1)
    void eachImageGoesToTheExpertOfItsClusterEncodedOnce() throws Exception {
        double encodes = http.metric("tributary_image_encodes_total");
        assertThat(weightsFor("USER: " + IMAGE_A + "\\nWhat is it? ASSISTANT:")).containsExactly(1.0, 0.0);
        assertThat(weightsFor("USER: " + IMAGE_B + "\\nWhat is it? ASSISTANT:")).containsExactly(0.0, 1.0);
        assertThat(http.metric("tributary_image_encodes_total") - encodes)
                .as("router and expert share one encode")
                .isEqualTo(2);
        assertThat(http.metric("tributary_expert_selected_tokens_total{application=\"tributary\",expert=\"expert-a\"}"))
                .isPositive();
    }

    @Test
    void softRoutingMixesBothAndARequestMayAskForIt() throws Exception {
        HttpResponse body = new HttpResponse(http.postJson(
                "/generate",
                "{\"inputs\":\"USER: " + IMAGE_A
                        + " ASSISTANT:\",\"parameters\":{\"max_new_tokens\":3,\"details\":true,"
                        + "\"routing\":{\"mode\":\"soft\",\"temperature\":2.0}}}"));
        double[] weights = body.firstWeights();
        assertThat(weights[0]).isGreaterThan(weights[1]).isLessThan(1.0);
        assertThat(weights[0] + weights[1]).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void aTextOnlyPromptIsRoutedByTheExpertsLikelihoodOfIt() throws Exception {
        double[] weights = weightsFor("USER: Tell me a story. ASSISTANT:");
        assertThat(weights[0] + weights[1]).isEqualTo(1.0);
        assertThat(weights[0] == 1.0 || weights[1] == 1.0)
                .as("hard routing picks one expert")
                .isTrue();
    }

    private double[] weightsFor(String inputs) throws Exception {
        return new HttpResponse(http.postJson(
                        "/generate",
                        "{\"inputs\":\"" + inputs + "\",\"parameters\":{\"max_new_tokens\":3,\"details\":true}}"))
                .firstWeights();
    }

    /** A /generate response's first token weights. */
    private record HttpResponse(java.net.http.HttpResponse<String> response) {
        double[] firstWeights() {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode weights =
                    json(response).get("details").get("tokens").get(0).get("expert_weights");
            return new double[] {weights.get(0).asDouble(), weights.get(1).asDouble()};
        }
    }
}
