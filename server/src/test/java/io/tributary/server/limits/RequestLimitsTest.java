package io.tributary.server.limits;

import io.tributary.server.HttpTestClient;
import io.tributary.server.mixture.ServedModel;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.bean.override.convention.TestBean;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Collections;

import static io.tributary.server.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every request limit, at its edge: a request just under it is served, one just over is refused with a 4xx whose
 * message names the setting to raise. Small limits keep the requests small; the body limit is the smallest the
 * other limits allow (69,128 bytes: two 1 KiB images base64-encoded, 100 characters, room for parameters).
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "tributary.limits.max-input-chars=100",
            "tributary.limits.max-new-tokens=50",
            "tributary.limits.max-images=2",
            "tributary.limits.max-image-bytes=1KB",
            "tributary.limits.max-request-bytes=70000"
        })
class RequestLimitsTest {

    private static final String IMAGE = "![](data:image/png;base64,AAAA)";

    @TestBean(methodName = "io.tributary.server.FakeMixture#twoExperts")
    ServedModel servedModel;

    @LocalServerPort
    int port;

    HttpTestClient http;

    @BeforeEach
    void client() {
        http = new HttpTestClient(port);
    }

    @Test
    void inputCharsCountTheTextOnly() throws Exception {
        assertServed(request("a".repeat(100), ""));
        // 99 letters and an image: 100 characters of text once the image is its placeholder.
        assertServed(request("a".repeat(99) + IMAGE, ""));
        assertRefused(
                request("a".repeat(101), ""),
                422,
                "`inputs` has 101 characters of text, which exceeds " + "tributary.limits.max-input-chars (100)");
    }

    @Test
    void maxNewTokens() throws Exception {
        assertServed(request("x", ",\"max_new_tokens\":50"));
        assertRefused(request("x", ",\"max_new_tokens\":51"), 422, "the limit is tributary.limits.max-new-tokens");
    }

    @Test
    void stopSequences() throws Exception {
        assertServed(request("x", ",\"stop\":[\"a\",\"b\",\"c\",\"d\"]"));
        assertRefused(
                request("x", ",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]"),
                422,
                "the limit is tributary.limits.max-stop-sequences");
    }

    @Test
    void images() throws Exception {
        assertServed(request(IMAGE + IMAGE + "?", ""));
        assertRefused(request(IMAGE + IMAGE + IMAGE + "?", ""), 422, "the limit is tributary.limits.max-images");
    }

    @Test
    void requestBodyByItsDeclaredLength() throws Exception {
        assertServed(padded(70_000));
        HttpResponse<String> refused = http.postJson("/generate", padded(70_001));
        assertThat(refused.statusCode()).isEqualTo(413);
        assertThat(json(refused).get("error").asString())
                .isEqualTo("the request body exceeds "
                        + "tributary.limits.max-request-bytes (70000 bytes): it declares 70001 bytes");
        assertThat(json(refused).get("error_type").asString()).isEqualTo("validation");
    }

    @Test
    void requestBodyWithoutDeclaredLengthIsCountedWhileRead() throws Exception {
        assertThat(chunked(padded(70_000)).statusCode()).isEqualTo(200);
        HttpResponse<String> refused = chunked(padded(70_001));
        assertThat(refused.statusCode()).isEqualTo(413);
        assertThat(json(refused).get("error").asString())
                .isEqualTo("the request body exceeds tributary.limits.max-request-bytes (70000 bytes)");
    }

    private static String request(String inputs, String parameters) {
        return "{\"inputs\":\"" + inputs + "\",\"parameters\":{\"max_new_tokens\":1" + parameters + "}}";
    }

    /** A valid request of exactly {@code bytes} bytes: JSON allows any amount of white space between tokens. */
    private static String padded(int bytes) {
        String request = request("x", "");
        String body = request.substring(0, request.length() - 1)
                + String.join("", Collections.nCopies(bytes - request.length(), " ")) + "}";
        assertThat(body.getBytes(StandardCharsets.UTF_8)).hasSize(bytes);
        return body;
    }

    private HttpResponse<String> chunked(String body) throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/generate"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)))
                .build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }

    private void assertServed(String body) throws Exception {
        HttpResponse<String> response = http.postJson("/generate", body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    private void assertRefused(String body, int status, String message) throws Exception {
        HttpResponse<String> response = http.postJson("/generate", body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(json(response).get("error").asString()).contains(message);
    }
}
