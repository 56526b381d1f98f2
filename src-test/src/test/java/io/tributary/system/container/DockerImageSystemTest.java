package io.tributary.system.container;

import io.tributary.system.EmbeddedExample;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container.ExecResult;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.util.List;

import static io.tributary.system.container.Http.JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The Docker image, run as the README runs it (read-only root, memory limit, tmpfs {@code /tmp}), serves the
 * embedded default mixture: answers about images, streaming, health, metrics.
 */
class DockerImageSystemTest {

    static TributaryContainer server;

    @BeforeAll
    static void start() {
        server = new TributaryContainer(DockerImages.server());
        server.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void answersTheReadmeExamplesAboutImages() throws Exception {
        for (EmbeddedExample example : EmbeddedExample.all()) {
            HttpResponse<String> response = Http.post(server.uri("/generate"), example.generateRequest(8));

            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(response.body());
            assertThat(body.get("generated_text").asString().strip()).isEqualTo(example.answer());
            assertThat(body.at("/details/tokens/0/expert_weights")).hasSize(4);
        }
    }

    @Test
    void streamsEveryTokenThenTheFinalEvent() throws Exception {
        EmbeddedExample example = EmbeddedExample.all().get(0);
        List<JsonNode> events = Http.stream(server.uri("/generate_stream"), example.generateRequest(8), event -> {});

        JsonNode last = events.get(events.size() - 1);
        assertThat(last.get("generated_text").asString().strip()).isEqualTo(example.answer());
        assertThat(last.at("/details/generated_tokens").asInt()).isEqualTo(events.size());
        assertThat(events.subList(0, events.size() - 1))
                .allSatisfy(e -> assertThat(e.get("generated_text").isNull()).isTrue());
    }

    @Test
    void prometheusCountsWhatWasGenerated() throws Exception {
        double before = metric(scrape(), "tributary_generation_tokens_total");
        JsonNode body = JSON.readTree(Http.post(
                        server.uri("/generate"),
                        "{\"inputs\":\"The river\",\"parameters\":{\"max_new_tokens\":8,\"details\":true}}")
                .body());
        String after = scrape();

        assertThat(metric(after, "tributary_generation_tokens_total") - before)
                .isEqualTo(body.at("/details/generated_tokens").asInt());
        assertThat(after)
                .contains(
                        "tributary_time_to_first_token_seconds_bucket",
                        "tributary_num_requests_running",
                        "tributary_expert_selected_tokens_total");
    }

    @Test
    void dockerSeesTheImageHealthCheckPass() throws Exception {
        assertThat(server.state().getHealth().getStatus()).isEqualTo("healthy");
        assertThat(Http.get(server.uri("/actuator/health/liveness")).statusCode())
                .isEqualTo(200);
        assertThat(Http.get(server.uri("/actuator/health/readiness")).statusCode())
                .isEqualTo(200);
    }

    @Test
    void runsAsNonRootOnAReadOnlyRootWithCachesInTheVolume() throws Exception {
        assertThat(server.execInContainer("id", "-u").getStdout().trim()).isEqualTo("10001");
        ExecResult write = server.execInContainer("touch", "/app/written");
        assertThat(write.getExitCode()).isNotZero();
        assertThat(write.getStderr()).contains("Read-only file system");
        // What the server did write on start: native PyTorch and the embedded default experts, in the volume.
        assertThat(server.execInContainer("ls", "/var/cache/tributary/djl").getStdout())
                .contains("pytorch");
        assertThat(server.execInContainer("ls", "/var/cache/tributary/mixtures").getStdout())
                .contains("embedded-default-v2");
    }

    @Test
    void heapIsSizedFromTheContainerMemoryLimit() throws Exception {
        // The image's MaxRAMPercentage=40: the heap follows the container's limit, not the host's memory.
        JsonNode heapMax = JSON.readTree(Http.get(server.uri("/actuator/metrics/jvm.memory.max?tag=area:heap"))
                .body());
        double bytes = heapMax.at("/measurements/0/value").asDouble();

        assertThat(bytes / TributaryContainer.MEMORY_LIMIT).isCloseTo(0.38, within(0.03));
    }

    private static String scrape() throws Exception {
        HttpResponse<String> response = Http.get(server.uri("/actuator/prometheus"));
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    /** The sum of a metric's samples over all its label sets, in Prometheus' text format. */
    private static double metric(String exposition, String name) {
        return exposition
                .lines()
                .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }
}
