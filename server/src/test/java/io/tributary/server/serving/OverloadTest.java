package io.tributary.server.serving;

import io.tributary.routing.testing.ScriptedExpert;
import io.tributary.server.FakeMixture;
import io.tributary.server.HttpTestClient;
import io.tributary.server.mixture.ServedModel;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.bean.override.convention.TestBean;

import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.tributary.server.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/** With one running slot and no queue, a second request is refused at once with 429, not left hanging. */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"tributary.scheduler.max-running=1", "tributary.scheduler.max-waiting=0"})
class OverloadTest {

    static final CountDownLatch RELEASE = new CountDownLatch(1);

    @TestBean
    ServedModel servedModel;

    static ServedModel servedModel() {
        return FakeMixture.served(new ScriptedExpert(FakeMixture.VOCABULARY, 1).blockedBy(RELEASE));
    }

    @LocalServerPort
    int port;

    @Test
    void aFullServerAnswers429AndServesTheRunningRequest() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        String request = "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":3}}";
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> {
            try {
                return http.postJson("/generate", request);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        awaitRunning(http);

        HttpResponse<String> refused = http.postJson("/generate", request);
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(json(refused).get("error_type").asString()).isEqualTo("overloaded");
        HttpResponse<String> refusedStream = http.postJson("/generate_stream", request);
        assertThat(refusedStream.statusCode()).isEqualTo(429);

        RELEASE.countDown();
        HttpResponse<String> served = first.get(30, TimeUnit.SECONDS);
        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(json(served).get("generated_text").asString()).isEqualTo("bbb");
        assertThat(http.metric("tributary_request_rejected_total{application=\"tributary\",reason=\"overloaded\"}"))
                .isEqualTo(2.0);
    }

    private static void awaitRunning(HttpTestClient http) throws Exception {
        for (int i = 0; i < 300; i++) {
            if (http.metric("tributary_num_requests_running") == 1.0) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the first request never started");
    }
}
