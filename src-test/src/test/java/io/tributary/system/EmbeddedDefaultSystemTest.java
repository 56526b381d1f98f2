package io.tributary.system;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's promise, checked on the packaged jar: {@code java -jar} with no configuration serves the embedded
 * two-expert mixture; {@code /generate_stream} streams tokens one by one; {@code /generate} returns text.
 */
class EmbeddedDefaultSystemTest {

    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path cacheDir;
    static ServerProcess server;

    @BeforeAll
    static void start() throws Exception {
        server = ServerProcess.start(cacheDir);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void generateReturnsTextFromTheTwoExpertMixture() throws Exception {
        HttpResponse<String> response = post("/generate",
                "{\"inputs\":\"The river\",\"parameters\":{\"max_new_tokens\":16,\"details\":true}}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("generated_text").asString()).isNotEmpty();
        JsonNode tokens = body.get("details").get("tokens");
        assertThat(tokens.size()).isBetween(1, 16);
        assertThat(tokens.get(0).get("expert_weights")).hasSize(2);
    }

    @Test
    void streamDeliversTheFirstTokenLongBeforeTheLast() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(uri("/generate_stream"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"inputs\":\"Once upon a time\",\"parameters\":{\"max_new_tokens\":200,"
                                + "\"stop\":[],\"details\":true}}"))
                .build();
        long start = System.nanoTime();
        List<Long> arrivals = new ArrayList<>();
        List<JsonNode> events = new ArrayList<>();
        HttpResponse<InputStream> response = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.startsWith("data:")) {
                    arrivals.add(System.nanoTime() - start);
                    events.add(JSON.readTree(line.substring(5)));
                }
            }
        }

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(events).isNotEmpty();
        JsonNode last = events.get(events.size() - 1);
        assertThat(last.get("generated_text").isString()).isTrue();
        int generated = last.get("details").get("generated_tokens").asInt();
        assertThat(events).hasSize(generated);
        // The embedded experts are deterministic and greedy decoding of this prompt runs to the length limit.
        assertThat(generated).isEqualTo(200);
        // Streamed, not buffered: the first token arrives well before the end of the generation.
        assertThat(arrivals.get(0)).isLessThan(arrivals.get(arrivals.size() - 1) / 2);
    }

    @Test
    void opsEndpointsAnswer() throws Exception {
        assertThat(get("/actuator/health/liveness").statusCode()).isEqualTo(200);
        assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);
        post("/generate", "{\"inputs\":\"warm up\",\"parameters\":{\"max_new_tokens\":2}}");
        String metrics = get("/actuator/prometheus").body();
        assertThat(metrics).contains("tributary_time_to_first_token_seconds_bucket",
                "tributary_generation_tokens_total", "tributary_num_requests_running",
                "tributary_expert_selected_tokens_total");
        JsonNode info = JSON.readTree(get("/info").body());
        assertThat(info.get("experts")).hasSize(2);
    }

    @Test
    void badInputIsAClientError() throws Exception {
        HttpResponse<String> response = post("/generate", "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":-1}}");
        assertThat(response.statusCode()).isEqualTo(422);
        assertThat(JSON.readTree(response.body()).get("error_type").asString()).isEqualTo("validation");
    }

    @Test
    void aCpuServerStartsWithoutGpuDetectionWarnings() throws Exception {
        // DJL probes the CUDA runtime whatever the device; on a CPU server its warnings are noise (see CpuDeviceLogging).
        List<String> gpuWarnings = server.log().lines()
                .filter(line -> line.contains(" WARN ") && (line.contains("GPU") || line.contains("CUDA")))
                .toList();
        assertThat(server.log()).contains("Started TributaryApplication");
        assertThat(gpuWarnings).isEmpty();
    }

    private static URI uri(String path) {
        return URI.create("http://localhost:" + server.port + path);
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
