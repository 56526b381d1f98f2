package io.tributary.system.container;

import io.tributary.system.TinyMixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGTERM, as Kubernetes or {@code docker stop} sends it, while a stream is running: the server stops taking
 * requests but lets the stream finish, final event included, then exits. On the tiny text mixture, whose untrained
 * experts generate to the length limit, so the stream is long enough to be cut.
 */
class GracefulShutdownSystemTest {

    @TempDir
    static Path dir;

    static TributaryContainer server;

    @BeforeAll
    static void start() throws Exception {
        server = new TributaryContainer(DockerImages.server()).withMixture(TinyMixtures.text(dir));
        server.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void aStreamRunningAtSigtermFinishesWithItsFinalEvent() throws Exception {
        int tokens = 400;
        AtomicInteger received = new AtomicInteger();
        AtomicInteger atSigterm = new AtomicInteger(-1);

        List<JsonNode> events = Http.stream(
                server.uri("/generate_stream"),
                "{\"inputs\":\"Once upon a time\",\"parameters\":{\"max_new_tokens\":" + tokens
                        + ",\"stop\":[],\"details\":true}}",
                event -> {
                    if (received.incrementAndGet() == 20) {
                        server.signal("TERM");
                        atSigterm.set(received.get());
                    }
                });

        assertThat(atSigterm.get()).as("SIGTERM was sent mid-stream").isEqualTo(20);
        JsonNode last = events.get(events.size() - 1);
        assertThat(last.get("generated_text").isString())
                .as("final event: %s", last)
                .isTrue();
        assertThat(last.at("/details/finish_reason").asString()).isEqualTo("length");
        assertThat(events).hasSize(tokens);

        // Then the server exits by itself, through its shutdown hooks (128 + SIGTERM's 15).
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (Boolean.TRUE.equals(server.state().getRunning()) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(server.state().getRunning()).isFalse();
        assertThat(server.state().getExitCodeLong()).isEqualTo(143);
        assertThat(server.getLogs()).contains("Commencing graceful shutdown", "Graceful shutdown complete");
    }
}
