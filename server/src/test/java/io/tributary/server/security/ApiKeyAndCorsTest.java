package io.tributary.server.security;

import io.tributary.server.mixture.ServedModel;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.bean.override.convention.TestBean;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import static io.tributary.server.HttpTestClient.JSON;
import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "tributary.security.api-key=s3cret-key",
            "tributary.security.cors-allowed-origins=https://app.example"
        })
class ApiKeyAndCorsTest {

    private static final String GENERATE = "{\"inputs\":\"hi\",\"parameters\":{\"max_new_tokens\":2}}";
    private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2}";

    @TestBean(methodName = "io.tributary.server.FakeMixture#twoExperts")
    ServedModel servedModel;

    @LocalServerPort
    int port;

    private final HttpClient client = HttpClient.newHttpClient();

    @Test
    void apiRoutesNeedTheKeyInTheShapeOfTheirApi() throws Exception {
        HttpResponse<String> none = post("/generate", GENERATE, null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer");
        assertThat(JSON.readTree(none.body()).get("error").asString()).contains("Authorization: Bearer");
        assertThat(JSON.readTree(none.body()).get("error_type").asString()).isEqualTo("unauthorized");

        assertThat(post("/generate", GENERATE, "Bearer wrong").statusCode()).isEqualTo(401);
        assertThat(post("/generate", GENERATE, "Bearer s3cret-key-and-more").statusCode())
                .isEqualTo(401);
        assertThat(post("/generate", GENERATE, "s3cret-key").statusCode())
                .as("no scheme")
                .isEqualTo(401);
        assertThat(post("/generate", GENERATE, "Bearer s3cret-key").statusCode())
                .isEqualTo(200);

        HttpResponse<String> openAi = post("/v1/chat/completions", CHAT, null);
        assertThat(openAi.statusCode()).isEqualTo(401);
        JsonNode error = JSON.readTree(openAi.body()).get("error");
        assertThat(error.get("type").asString()).isEqualTo("authentication_error");
        assertThat(post("/v1/chat/completions", CHAT, "bearer s3cret-key").statusCode())
                .isEqualTo(200);
        for (String path : List.of("/info", "/v1/models")) {
            assertThat(get(path, null).statusCode()).as(path).isEqualTo(401);
            assertThat(get(path, "Bearer s3cret-key").statusCode()).as(path).isEqualTo(200);
        }
        assertThat(post("/", GENERATE, null).statusCode()).as("TGI's POST /").isEqualTo(401);
    }

    @Test
    void healthMetricsThePageAndTheContractStayOpen() throws Exception {
        for (String path : List.of(
                "/health", "/actuator/health/readiness", "/actuator/prometheus", "/metrics", "/", "/openapi.yaml")) {
            assertThat(get(path, null).statusCode()).as(path).isEqualTo(200);
        }
    }

    @Test
    void listedBrowserOriginsMayCallTheApiOthersMayNot() throws Exception {
        HttpResponse<String> allowed = preflight("https://app.example");
        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).contains("https://app.example");
        assertThat(allowed.headers()
                        .firstValue("Access-Control-Allow-Headers")
                        .orElse("")
                        .toLowerCase())
                .contains("authorization");
        assertThat(preflight("https://evil.example").statusCode()).isEqualTo(403);
    }

    private HttpResponse<String> preflight(String origin) throws Exception {
        return client.send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
                        .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                        .header("Origin", origin)
                        .header("Access-Control-Request-Method", "POST")
                        .header("Access-Control-Request-Headers", "authorization,content-type")
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String body, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
