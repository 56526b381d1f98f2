package io.tributary.system.chart;

import io.tributary.system.ServerProcess;
import io.tributary.system.TinyMixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The model-server side of the Kubernetes inference gateway, on the packaged jar: the gauges that the chart's
 * endpoint picker is configured to read are served at {@code /metrics} with the protocol's meaning. With one request
 * running at a time and three sent at once, the queued gauge says two, the running gauge one, and the KV-cache
 * utilisation is a fraction in (0, 1]; once they are answered, all three fall to zero.
 */
class InferenceGatewayProtocolSystemTest {

    private static final Path CHART = Path.of(System.getProperty("tributary.repo.root"), "helm/tributary");

    @TempDir
    static Path dir;

    static ServerProcess server;
    static JsonNode engine;

    @BeforeAll
    static void start() throws Exception {
        ChartRendering chart = ChartRendering.render(
                CHART, CHART.resolveSibling("examples/inference-gateway.yaml"), UnaryOperator.identity());
        JsonNode config = new YAMLMapper()
                .readTree(chart.named("ConfigMap", "tributary-epp")
                        .at("/data/endpoint-picker.yaml")
                        .asString());
        engine = config.get("plugins")
                .valueStream()
                .filter(plugin -> plugin.get("type").asString().equals("core-metrics-extractor"))
                .findFirst()
                .orElseThrow()
                .at("/parameters/engineConfigs/0");
        Path mixture = TinyMixtures.text(dir.resolve("mixture"));
        server = ServerProcess.start(
                dir.resolve("cache"), "--tributary.mixture=" + mixture, "--tributary.scheduler.max-running=1");
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void thePickersGaugesCountQueuedAndRunningRequestsAndTheKvCacheInUse() throws Exception {
        String queued = engine.get("queuedRequestsSpec").asString();
        String running = engine.get("runningRequestsSpec").asString();
        String kvUsage = engine.get("kvUsageSpec").asString();
        String idle = scrape();
        for (String gauge : List.of(queued, running, kvUsage)) {
            assertThat(idle).contains("# TYPE " + gauge + " gauge");
            assertThat(value(idle, gauge)).as(gauge + " while idle").isZero();
        }

        // Untrained experts run to the length limit: three long answers, decoded one at a time.
        HttpClient http = HttpClient.newHttpClient();
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            answers.add(http.sendAsync(
                    HttpRequest.newBuilder(URI.create("http://localhost:" + server.port + "/v1/completions"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"prompt\":\"The river bends " + i + "\",\"max_tokens\":600}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        String busy = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (busy == null && System.nanoTime() < deadline) {
            String scrape = scrape();
            if (value(scrape, queued) == 2) {
                busy = scrape;
            }
        }
        assertThat(busy).as("a scrape with two requests queued").isNotNull();
        assertThat(value(busy, running)).isEqualTo(1);
        assertThat(value(busy, kvUsage)).isGreaterThan(0).isLessThanOrEqualTo(1);

        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            assertThat(answer.get().statusCode()).as(answer.get().body()).isEqualTo(200);
        }
        String after = scrape();
        for (String gauge : List.of(queued, running, kvUsage)) {
            assertThat(value(after, gauge)).as(gauge + " once answered").isZero();
        }
    }

    private static String scrape() throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + server.port + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    /** The one sample of a gauge named as the picker names it (any labels). */
    private static double value(String scrape, String name) {
        List<Double> samples = scrape.lines()
                .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                .map(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .toList();
        assertThat(samples).as("samples of " + name).hasSize(1);
        return samples.get(0);
    }
}
