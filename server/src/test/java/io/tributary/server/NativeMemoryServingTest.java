package io.tributary.server;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real experts (the tiny text mixture) behind the real HTTP stack: after many requests decoded in batches — finished,
 * refused, and streams whose client hung up mid-way — every KV cache is freed, every KV reservation returned, and
 * the count of native arrays is back to what the weights alone hold.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        // Prefix reuse off: kept blocks would stay after the requests (PrefixReuseTest bounds those)
        properties = {"tributary.scheduler.max-running=4", "tributary.engine.prefix-cache=false"})
class NativeMemoryServingTest {

    @DynamicPropertySource
    static void tinyTextMixture(DynamicPropertyRegistry registry) {
        registry.add("tributary.mixture", TinyTextMixture.shared()::toString);
    }

    @LocalServerPort
    int port;

    @Test
    void everyRequestFreesItsNativeMemory() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        double baseline = http.metric("tributary_native_arrays");
        double cancelledBefore =
                http.metric("tributary_request_failure_total{application=\"tributary\",reason=\"cancelled\"}");
        assertThat(baseline).as("the weights of two experts").isPositive();

        ExecutorService clients = Executors.newFixedThreadPool(6);
        List<Future<?>> requests = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            int n = i;
            requests.add(clients.submit(() -> {
                switch (n % 4) {
                    case 0 ->
                        http.postJson(
                                "/generate",
                                "{\"inputs\":\"request " + n + "\",\"parameters\":"
                                        + "{\"max_new_tokens\":40,\"do_sample\":true,\"seed\":" + n + "}}");
                    case 1 ->
                        http.streamAll(
                                "/generate_stream",
                                "{\"inputs\":\"stream " + n + "\"," + "\"parameters\":{\"max_new_tokens\":30}}");
                    case 2 -> hangUpAfterThreeEvents(n);
                    default -> http.postJson("/generate", "{\"inputs\":\"\"}");
                }
                return null;
            }));
        }
        boolean sawCachesInUse = false;
        boolean sawKvAllocated = false;
        for (Future<?> request : requests) {
            sawCachesInUse |= http.metric("tributary_native_arrays") > baseline;
            sawKvAllocated |= http.metric("tributary_kv_cache_allocated_bytes") > 0;
            request.get();
        }
        clients.shutdown();

        awaitIdle(http);
        assertThat(sawCachesInUse)
                .as("the gauge counts KV caches while requests run")
                .isTrue();
        assertThat(sawKvAllocated)
                .as("the KV gauge shows the caches while requests run")
                .isTrue();
        assertThat(http.metric("tributary_kv_cache_budget_bytes")).isPositive();
        assertThat(http.metric("tributary_native_arrays")).isEqualTo(baseline);
        assertThat(http.metric("tributary_kv_cache_allocated_bytes"))
                .as("every KV cache block freed")
                .isZero();
        assertThat(http.metric("tributary_kv_cache_used_bytes"))
                .as("every KV reservation returned")
                .isZero();
        assertThat(http.metric("tributary_request_failure_total{application=\"tributary\",reason=\"cancelled\"}")
                        - cancelledBefore)
                .as("hung-up streams were cancelled")
                .isEqualTo(6);
    }

    /** Reads three events of a long stream, then closes the connection like a client that went away. */
    private void hangUpAfterThreeEvents(int n) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/generate_stream"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"inputs\":\"long " + n + "\"," + "\"parameters\":{\"max_new_tokens\":1500,\"stop\":[]}}"))
                .build();
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) { // closing it early aborts the connection
            int events = 0;
            StringBuilder line = new StringBuilder();
            while (events < 3) {
                int c = body.read();
                if (c < 0) {
                    throw new IllegalStateException("stream ended after " + events + " events");
                }
                if (c == '\n') {
                    events += line.toString().startsWith("data:") ? 1 : 0;
                    line.setLength(0);
                } else {
                    line.append((char) c);
                }
            }
        }
    }

    private static void awaitIdle(HttpTestClient http) throws Exception {
        for (int i = 0; i < 600; i++) {
            if (http.metric("tributary_num_requests_running") == 0
                    && http.metric("tributary_num_requests_waiting") == 0) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("requests still running after 30 s");
    }
}
