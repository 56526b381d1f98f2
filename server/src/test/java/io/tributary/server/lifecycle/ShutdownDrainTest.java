package io.tributary.server.lifecycle;

import io.tributary.routing.testing.ScriptedExpert;
import io.tributary.server.FakeMixture;
import io.tributary.server.HttpTestClient;
import io.tributary.server.mixture.ServedModel;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.tributary.server.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Shutting down with a stream in flight: new requests get 503 in TGI's shape and readiness reports
 * OUT_OF_SERVICE while the stream runs on, and the stream completes before the server stops.
 */
class ShutdownDrainTest {

    /** Holds the stream after its first token until the test has seen the server refuse new work. */
    static final CountDownLatch RELEASE = new CountDownLatch(1);

    private static ServedModel servedModel() {
        return FakeMixture.served(new ScriptedExpert(FakeMixture.VOCABULARY, 1, 2, 3).blockedFromStep(1, RELEASE));
    }

    @Test
    void newRequestsGet503AndReadinessIsDownUntilTheRunningStreamCompletes() throws Exception {
        ConfigurableApplicationContext context = FakeServer.start(servedModel());
        HttpTestClient http = new HttpTestClient(FakeServer.port(context));
        assertThat(http.get("/actuator/health/readiness").statusCode()).isEqualTo(200);
        List<JsonNode> events = new CopyOnWriteArrayList<>();
        CompletableFuture<Integer> stream = CompletableFuture.supplyAsync(() -> {
            try {
                return http.stream(
                        "/generate_stream", "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":3}}", events::add);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        awaitTrue(() -> events.size() == 1 || stream.isDone(), "the first token");
        assertThat(events).as("the stream ended early: %s", stream).hasSize(1);

        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(context::close);
        // Readiness first: a generation request sent before the drain closes the gate would be admitted, and would
        // wait behind the held stream until the drain gives up.
        awaitTrue(() -> http.get("/actuator/health/readiness").statusCode() == 503, "readiness down");
        assertThat(http.postJson("/generate", "{\"inputs\":\"y\"}").statusCode())
                .isEqualTo(503);

        HttpResponse<String> refused = http.postJson("/generate_stream", "{\"inputs\":\"y\"}");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(json(refused).get("error_type").asString()).isEqualTo("unhealthy");
        assertThat(json(refused).get("error").asString()).contains("shutting down");
        HttpResponse<String> readiness = http.get("/actuator/health/readiness");
        assertThat(readiness.statusCode()).isEqualTo(503);
        assertThat(json(readiness).get("status").asString()).isEqualTo("OUT_OF_SERVICE");
        assertThat(http.get("/health").statusCode()).as("TGI's health route").isEqualTo(503);
        HttpResponse<String> openAi =
                http.postJson("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"y\"}]}");
        assertThat(openAi.statusCode()).isEqualTo(503);
        assertThat(json(openAi).get("error").get("type").asString()).isEqualTo("service_unavailable_error");
        assertThat(stream).as("the stream is still running").isNotDone();
        assertThat(shutdown).as("the shutdown waits for it").isNotDone();

        RELEASE.countDown();
        assertThat(stream.get(30, TimeUnit.SECONDS)).isEqualTo(200);
        shutdown.get(30, TimeUnit.SECONDS);
        assertThat(events).hasSize(3);
        assertThat(events.get(2).get("generated_text").asString()).hasSize(3);
        assertThat(events.get(2).get("details").isNull()).isTrue();
    }

    interface Check {
        boolean holds() throws Exception;
    }

    static void awaitTrue(Check check, String what) throws Exception {
        for (int i = 0; i < 500; i++) {
            if (check.holds()) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("never saw " + what);
    }
}
