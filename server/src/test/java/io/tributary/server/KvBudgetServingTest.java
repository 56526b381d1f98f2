package io.tributary.server;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.tributary.server.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The KV budget on real experts (the tiny text mixture): /info reports it in bytes and in positions (two experts
 * of 4 layers, 4 kv heads of 32 floats: 8 KiB a position), a request that fits is served, one whose prompt and
 * max_new_tokens could never fit is refused with 422 before it queues, and requests that outgrow the budget together
 * are preempted and recomputed, answering as they would alone.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "tributary.scheduler.kv-cache-budget=1MB")
class KvBudgetServingTest {

    @DynamicPropertySource
    static void tinyTextMixture(DynamicPropertyRegistry registry) {
        registry.add("tributary.mixture", TinyTextMixture.shared()::toString);
    }

    @LocalServerPort
    int port;

    @Test
    void infoReportsTheBudgetAndARequestThatCouldNeverFitIsRefused() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        JsonNode info = json(http.get("/info"));
        assertThat(info.get("kv_cache_budget_bytes").asLong()).isEqualTo(1L << 20);
        assertThat(info.get("kv_cache_bytes_per_token").asLong()).isEqualTo(2 * 4 * 2 * 4 * 32 * 4);
        assertThat(info.get("max_batch_total_tokens").asLong()).isEqualTo(128);
        assertThat(info.get("kv_cache_used_bytes").asLong()).isZero();
        assertThat(http.metric("tributary_kv_cache_budget_bytes")).isEqualTo(1 << 20);

        HttpResponse<String> served =
                http.postJson("/generate", "{\"inputs\":\"The river\",\"parameters\":{\"max_new_tokens\":20}}");
        assertThat(served.statusCode()).isEqualTo(200);

        HttpResponse<String> refused =
                http.postJson("/generate", "{\"inputs\":\"The river\",\"parameters\":{\"max_new_tokens\":500}}");
        assertThat(refused.statusCode()).isEqualTo(422);
        assertThat(json(refused).get("error").asString()).contains("KV budget is 1048576 bytes");
        HttpResponse<String> refusedStream =
                http.postJson("/generate_stream", "{\"inputs\":\"The river\",\"parameters\":{\"max_new_tokens\":500}}");
        assertThat(refusedStream.statusCode()).isEqualTo(422);
    }

    @Test
    void requestsThatOutgrowTheBudgetTogetherArePreemptedAndAnswerAsTheyWouldAlone() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        // 128 positions in all: three answers of 60 tokens start together and outgrow it after about 40 tokens each.
        List<String> bodies = List.of("The river", "A river bends", "Rivers meet").stream()
                .map(text ->
                        "{\"inputs\":\"" + text + "\",\"parameters\":{\"max_new_tokens\":60," + "\"details\":true}}")
                .toList();
        List<String> alone = new ArrayList<>();
        for (String body : bodies) {
            JsonNode answer = json(http.postJson("/generate", body));
            assertThat(answer.get("details").get("generated_tokens").asInt())
                    .as("no early end of sequence")
                    .isEqualTo(60);
            alone.add(answer.get("generated_text").asString());
        }
        double preemptionsBefore = http.metric("tributary_num_preemptions_total");

        ExecutorService clients = Executors.newFixedThreadPool(bodies.size());
        try {
            List<Future<HttpResponse<String>>> together = new ArrayList<>();
            for (String body : bodies) {
                together.add(clients.submit(() -> http.postJson("/generate", body)));
            }
            for (int i = 0; i < bodies.size(); i++) {
                HttpResponse<String> response = together.get(i).get(60, TimeUnit.SECONDS);
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(json(response).get("generated_text").asString()).isEqualTo(alone.get(i));
            }
        } finally {
            clients.shutdownNow();
        }
        assertThat(http.metric("tributary_num_preemptions_total") - preemptionsBefore)
                .as("the youngest yielded at least once")
                .isPositive();
        assertThat(json(http.get("/info")).get("kv_cache_used_bytes").asLong()).isZero();
    }
}
