package io.tributary.server.metrics;

import io.tributary.server.HttpTestClient;
import io.tributary.server.mixture.ServedModel;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.bean.override.convention.TestBean;
import tools.jackson.databind.JsonNode;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

import static io.tributary.server.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/** Counts are compared before and after, since test classes with this configuration share one context. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class MetricsTest {

    private static final String APP = "application=\"tributary\"";

    @TestBean(methodName = "io.tributary.server.FakeMixture#twoExperts")
    ServedModel servedModel;

    @LocalServerPort
    int port;

    @Test
    void servingMetricsReachPrometheus() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        ToDoubleFunction<String> before = http.metrics();

        JsonNode whole = json(http.postJson(
                        "/generate", "{\"inputs\":\"abc\",\"parameters\":{\"max_new_tokens\":5,\"details\":true}}"))
                .get("details");
        List<JsonNode> events = http.streamAll(
                "/generate_stream", "{\"inputs\":\"abcd\",\"parameters\":{\"max_new_tokens\":4,\"details\":true}}");
        JsonNode streamed = events.get(events.size() - 1).get("details");
        http.postJson("/generate", "{\"inputs\":\"\"}");
        ToDoubleFunction<String> after = http.metrics();

        int tokens = whole.get("generated_tokens").asInt()
                + streamed.get("generated_tokens").asInt();
        Map<String, Double> expectedIncrease = new HashMap<>(Map.of(
                "tributary_generation_tokens_total{" + APP + "}",
                (double) tokens,
                "tributary_prompt_tokens_total{" + APP + "}",
                7.0,
                "tributary_expert_selected_tokens_total{" + APP + ",expert=\"alpha\"}",
                (double) tokens,
                "tributary_expert_selected_tokens_total{" + APP + ",expert=\"beta\"}",
                (double) tokens,
                "tributary_time_to_first_token_seconds_count{" + APP + "}",
                2.0,
                "tributary_inter_token_latency_seconds_count{" + APP + "}",
                tokens - 2.0,
                "tributary_e2e_request_latency_seconds_count{" + APP + "}",
                2.0,
                "tributary_request_rejected_total{" + APP + ",reason=\"validation\"}",
                1.0));
        expectedIncrease.put("tributary_request_queue_time_seconds_count{" + APP + "}", 2.0);
        // One pass per request step that runs positions: its prompt, then each token but the last (never run).
        for (String expert : List.of("alpha", "beta")) {
            expectedIncrease.put(
                    "tributary_expert_forward_seconds_count{" + APP + ",expert=\"" + expert + "\"}", (double) tokens);
        }
        for (JsonNode details : List.of(whole, streamed)) {
            expectedIncrease.merge(
                    "tributary_request_success_total{" + APP + ",finished_reason=\""
                            + details.get("finish_reason").asString() + "\"}",
                    1.0,
                    Double::sum);
        }
        expectedIncrease.forEach(
                (series, increase) -> assertThat(after.applyAsDouble(series) - before.applyAsDouble(series))
                        .as(series)
                        .isEqualTo(increase));
        assertThat(after.applyAsDouble("tributary_num_requests_running")).isZero();
        assertThat(after.applyAsDouble("tributary_num_requests_waiting")).isZero();
    }

    @Test
    void theScrapeIsAlsoAtMetricsInEitherFormat() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        http.postJson("/generate", "{\"inputs\":\"abc\",\"parameters\":{\"max_new_tokens\":2}}");

        var text = http.get("/metrics");
        var openMetrics = java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(
                                        java.net.URI.create("http://localhost:" + port + "/metrics"))
                                .header("Accept", "application/openmetrics-text; version=1.0.0")
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());

        assertThat(text.statusCode()).isEqualTo(200);
        assertThat(text.headers().firstValue("Content-Type").orElseThrow().replace(" ", ""))
                .isEqualTo(MetricsScrape.TEXT.replace(" ", ""));
        assertThat(text.body())
                .contains("# TYPE tributary_generation_tokens_total counter")
                .contains("tributary_num_requests_running{" + APP + "}");
        assertThat(openMetrics
                        .headers()
                        .firstValue("Content-Type")
                        .orElseThrow()
                        .replace(" ", ""))
                .isEqualTo(MetricsScrape.OPEN_METRICS.replace(" ", ""));
        assertThat(openMetrics.body()).endsWith("# EOF\n");
        // A traced request leaves no exemplar: Prometheus refuses a scrape with one on a _count sample.
        assertThat(openMetrics.body()).doesNotContain(" # {");
    }
}
