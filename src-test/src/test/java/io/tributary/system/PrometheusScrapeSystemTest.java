package io.tributary.system;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * A real Prometheus (Debian's {@code prometheus}, which {@code .ci/run} installs) scrapes the packaged server, and
 * {@code promtool check metrics} finds nothing to complain about in what it serves.
 */
class PrometheusScrapeSystemTest {

    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dir;

    private static ServerProcess server;
    private static Process prometheus;
    private static int prometheusPort;
    private static int generatedTokens;

    @BeforeAll
    static void start() throws Exception {
        assertThat(PROMETHEUS)
                .as("Debian's prometheus package (.ci/run installs it)")
                .isExecutable();
        server = ServerProcess.start(dir.resolve("cache"));
        generatedTokens = new ObjectMapper()
                .readTree(post(
                        "/generate",
                        "{\"inputs\":\"The river\",\"parameters\":{\"max_new_tokens\":3,\"details\":true}}"))
                .at("/details/generated_tokens")
                .asInt();
        post("/generate", "{\"inputs\":\"\"}"); // a refusal, so the error counters exist too
        Path config = Files.writeString(dir.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: tributary
                    metrics_path: /metrics
                    static_configs:
                      - targets: ['localhost:%d']
                """.formatted(server.port));
        prometheusPort = freePort();
        prometheus = new ProcessBuilder(
                        PROMETHEUS.toString(),
                        "--config.file=" + config,
                        "--storage.tsdb.path=" + dir.resolve("tsdb"),
                        "--web.listen-address=127.0.0.1:" + prometheusPort)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("prometheus.log").toFile())
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (prometheus != null) {
            prometheus.destroy();
            prometheus.waitFor(10, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void promtoolFindsNoProblemInTheScrape() throws Exception {
        String scrape = HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + server.port + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        Process promtool = new ProcessBuilder(PROMTOOL.toString(), "check", "metrics")
                .redirectErrorStream(true)
                .start();
        try (var stdin = promtool.getOutputStream()) {
            stdin.write(scrape.getBytes(StandardCharsets.UTF_8));
        }
        String report = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(promtool.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(report).as("promtool check metrics").isEmpty();
        assertThat(promtool.exitValue()).isZero();
    }

    @Test
    void aRealPrometheusScrapesTheServingMetrics() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode up = query("up{job=\"tributary\"}");
            JsonNode tokens = query("tributary_generation_tokens_total");
            if (up != null
                    && up.size() == 1
                    && up.get(0).get("value").get(1).asString().equals("1")
                    && tokens != null
                    && tokens.size() == 1) {
                assertThat(Double.parseDouble(tokens.get(0).get("value").get(1).asString()))
                        .isEqualTo(generatedTokens);
                JsonNode queue = query("tributary_request_queue_time_seconds_count");
                assertThat(queue).isNotNull().hasSize(1);
                return;
            }
            Thread.sleep(500);
        }
        fail("Prometheus did not scrape the server within a minute:\n"
                + Files.readString(dir.resolve("prometheus.log")));
    }

    /**
     * Every query of the chart's Grafana dashboard, evaluated by this Prometheus over what it scraped ({@code
     * $__rate_interval} as Grafana would set it for a 1 s scrape): each returns data, none is an error.
     */
    @Test
    void everyQueryOfTheDashboardReturnsData() throws Exception {
        JsonNode dashboard = new ObjectMapper()
                .readTree(Path.of(System.getProperty("tributary.repo.root"), "helm/tributary/dashboards/tributary.json")
                        .toFile());
        List<String> expressions = new ArrayList<>();
        dashboard
                .get("panels")
                .forEach(panel -> panel.get("targets")
                        .forEach(target ->
                                expressions.add(target.get("expr").asString().replace("$__rate_interval", "1m"))));
        assertThat(expressions).hasSizeGreaterThan(20);

        Map<String, String> problems = new LinkedHashMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        do {
            problems.clear();
            for (String expression : expressions) {
                JsonNode answer = evaluate(expression);
                if (answer == null) {
                    problems.put(expression, "Prometheus is not answering yet");
                } else if (!"success".equals(answer.path("status").asString())) {
                    problems.put(expression, answer.toString());
                } else if (answer.at("/data/result").isEmpty()) {
                    problems.put(expression, "no data");
                }
            }
            if (!problems.isEmpty()) {
                Thread.sleep(1_000);
            }
        } while (!problems.isEmpty() && System.nanoTime() < deadline);
        assertThat(problems).as("dashboard queries without data or in error").isEmpty();
    }

    /** The whole answer to an instant query, errors included, or null while Prometheus is not answering yet. */
    private static JsonNode evaluate(String expression) throws Exception {
        try {
            HttpResponse<String> response = HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                    + prometheusPort + "/api/v1/query?query="
                                    + java.net.URLEncoder.encode(expression, StandardCharsets.UTF_8)))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return new ObjectMapper().readTree(response.body());
        } catch (IOException notYetListening) {
            return null;
        }
    }

    /** The result vector of an instant query, or null while Prometheus is not answering (or not yet answering). */
    private static JsonNode query(String expression) throws Exception {
        JsonNode answer = evaluate(expression);
        return answer != null && "success".equals(answer.path("status").asString())
                ? answer.get("data").get("result")
                : null;
    }

    private static String post(String path, String body) throws Exception {
        return HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + server.port + path))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
