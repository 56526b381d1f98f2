package io.tributary.server.lifecycle;

import io.tributary.routing.testing.ScriptedExpert;
import io.tributary.server.FakeMixture;
import io.tributary.server.HttpTestClient;
import io.tributary.server.mixture.ServedModel;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.tributary.server.lifecycle.ShutdownDrainTest.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

/** A stream still running when the drain timeout passes is cancelled: its client hears so in a last event. */
class DrainTimeoutTest {

    static final CountDownLatch RELEASE = new CountDownLatch(1);

    private static ServedModel servedModel() {
        return FakeMixture.served(new ScriptedExpert(FakeMixture.VOCABULARY, 1).blockedFromStep(1, RELEASE));
    }

    @Test
    void aStreamPastTheDrainTimeoutEndsWithACancellationEvent() throws Exception {
        ConfigurableApplicationContext context =
                FakeServer.start(servedModel(), "tributary.shutdown.drain-timeout=300ms");
        HttpTestClient http = new HttpTestClient(FakeServer.port(context));
        List<JsonNode> events = new CopyOnWriteArrayList<>();
        CompletableFuture<Integer> stream = CompletableFuture.supplyAsync(() -> {
            try {
                return http.stream(
                        "/generate_stream", "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":50}}", events::add);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        awaitTrue(() -> events.size() == 1 || stream.isDone(), "the first token");
        assertThat(events).as("the stream ended early: %s", stream).hasSize(1);

        long started = System.nanoTime();
        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(context::close);
        // The drain gives up after 300 ms and cancels; the decoding thread ends the step it is blocked in first.
        Thread.sleep(600);
        RELEASE.countDown();
        assertThat(stream.get(30, TimeUnit.SECONDS)).isEqualTo(200);
        shutdown.get(30, TimeUnit.SECONDS);

        JsonNode last = events.get(events.size() - 1);
        assertThat(events.size()).isLessThan(50);
        assertThat(last.get("error_type").asString()).isEqualTo("cancelled");
        assertThat(System.nanoTime() - started).isLessThan(TimeUnit.SECONDS.toNanos(20));
    }
}
