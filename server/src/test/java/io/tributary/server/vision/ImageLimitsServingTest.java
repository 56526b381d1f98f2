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

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static io.tributary.server.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The image limits on a real LLaVA expert, at their edges. The README's 20 MiB per image is reachable with the
 * default settings (request body, JSON parser and input limits all let it through); one byte more is refused
 * naming the setting. The pixel limit is lowered here so that an image at it decodes in milliseconds.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "tributary.limits.max-image-pixels=10000")
class ImageLimitsServingTest {

    private static final int TWENTY_MIB = 20 << 20;

    @TempDir
    static Path dir;

    @DynamicPropertySource
    static void llavaMixture(DynamicPropertyRegistry registry) {
        registry.add("tributary.mixture", () -> {
            try {
                TinyLlava.write(dir.resolve("expert"), TinyLlavaSpec.forTests(), 1, 100);
                return ManifestReader.write(
                                dir.resolve("mixture.yaml"),
                                MixtureManifest.of("llava", MixtureManifest.RouterEntry.of("uniform"), "expert"))
                        .toString();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @LocalServerPort
    int port;

    HttpTestClient http;

    @BeforeEach
    void client() {
        http = new HttpTestClient(port);
    }

    @Test
    void anImageOfTwentyMebibytesIsServedAndOneByteMoreIsRefused() throws Exception {
        HttpResponse<String> served = generate(TestImages.markdownPaddedPng(40, 30, TWENTY_MIB));
        assertThat(served.statusCode()).as(served.body()).isEqualTo(200);

        HttpResponse<String> refused = generate(TestImages.markdownPaddedPng(40, 30, TWENTY_MIB + 1));
        assertThat(refused.statusCode()).isEqualTo(422);
        assertThat(json(refused).get("error").asString())
                .isEqualTo("image 1: the image is 20971521 bytes, which "
                        + "exceeds tributary.limits.max-image-bytes (20971520 bytes)");
    }

    @Test
    void anImageAtThePixelLimitIsServedAndOneLargerIsRefused() throws Exception {
        HttpResponse<String> served = generate(TestImages.markdownPng(1, 100, 100));
        assertThat(served.statusCode()).as(served.body()).isEqualTo(200);

        HttpResponse<String> refused = generate(TestImages.markdownPng(1, 101, 100));
        assertThat(refused.statusCode()).isEqualTo(422);
        assertThat(json(refused).get("error").asString())
                .isEqualTo("image 1: the image has 10100 pixels (width x "
                        + "height), which exceeds tributary.limits.max-image-pixels (10000)");
    }

    private HttpResponse<String> generate(String image) throws Exception {
        return http.postJson(
                "/generate",
                "{\"inputs\":\"USER: " + image + "\\nWhat is it? ASSISTANT:\","
                        + "\"parameters\":{\"max_new_tokens\":1}}");
    }
}
