package io.tributary.system;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Well over a hundred malformed requests across every route, sent to the packaged server (two tiny LLaVA experts, so
 * image errors reach real image decoding): each gets a 4xx with a body that says why, none a 5xx, a hang or a
 * dropped connection, and the server serves normally afterwards.
 */
class BadInputSystemTest {

    @TempDir
    static Path dir;

    private static ServerProcess server;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        server =
                ServerProcess.start(dir.resolve("cache"), "--tributary.mixture=" + TinyMixtures.vision(dir, "uniform"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void everyMalformedRequestGetsAClientErrorAndTheServerStaysHealthy() throws Exception {
        List<MalformedRequests.Case> cases = MalformedRequests.all();
        assertThat(cases).hasSizeGreaterThanOrEqualTo(100);
        assertThat(new HashSet<>(cases)).as("distinct requests").hasSameSizeAs(cases);

        List<String> wrong = new ArrayList<>();
        for (MalformedRequests.Case request : cases) {
            HttpResponse<String> response = send(request);
            boolean clientError = response.statusCode() >= 400 && response.statusCode() < 500;
            boolean explained = response.body().contains("\"error\"");
            if (!clientError || !explained) {
                wrong.add(request + " -> " + response.statusCode() + " " + response.body());
            }
        }
        assertThat(wrong).as("requests not answered with an explained 4xx").isEmpty();

        assertThat(get("/health").statusCode()).isEqualTo(200);
        assertThat(get("/actuator/health/readiness").body()).contains("\"UP\"");
        HttpResponse<String> generated = send(new MalformedRequests.Case(
                "a good request",
                "POST",
                "/generate",
                "application/json",
                "{\"inputs\":\"The river\",\"parameters\":{\"max_new_tokens\":4}}"));
        assertThat(generated.statusCode()).isEqualTo(200);
        assertThat(get("/actuator/prometheus").body())
                .as("no 5xx was counted")
                .doesNotContainPattern("http_server_requests_seconds_count\\{[^}]*status=\"5");
    }

    private HttpResponse<String> send(MalformedRequests.Case request) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(
                        URI.create("http://localhost:" + server.port + request.path()))
                .timeout(Duration.ofSeconds(60));
        if (request.contentType() != null) {
            builder.header("Content-Type", request.contentType());
        }
        builder.method(
                request.method(),
                request.body() == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(request.body()));
        return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + server.port + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
