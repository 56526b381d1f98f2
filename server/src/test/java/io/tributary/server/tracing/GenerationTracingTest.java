package io.tributary.server.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.tributary.server.mixture.ServedModel;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.bean.override.convention.TestBean;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A request's spans, exported to memory: the caller's trace, the HTTP span, the generation and its phases. */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "management.opentelemetry.tracing.export.schedule-delay=50ms")
class GenerationTracingTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN = "00f067aa0ba902b7";

    @TestBean(methodName = "io.tributary.server.FakeMixture#twoExperts")
    ServedModel servedModel;

    @Autowired
    InMemorySpanExporter exported;

    @LocalServerPort
    int port;

    @TestConfiguration
    static class Exporter {
        @Bean
        InMemorySpanExporter inMemorySpanExporter() {
            return InMemorySpanExporter.create();
        }
    }

    @BeforeEach
    void forget() {
        exported.reset();
    }

    @Test
    void aGenerationIsTracedUnderTheCallersTraceparentPhaseByPhase() throws Exception {
        HttpResponse<String> response = post(
                "{\"inputs\":\"abcdef\",\"parameters\":{\"max_new_tokens\":3}}",
                "00-" + TRACE + "-" + CALLER_SPAN + "-01");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> server().isPresent());

        SpanData http = server().orElseThrow();
        SpanData generation = named("generation");
        SpanData queue = named("queue");
        SpanData prefill = named("prefill");
        SpanData chunk = named("prefill chunk");
        SpanData decode = named("decode");
        assertThat(List.of(http, generation, queue, prefill, chunk, decode))
                .allSatisfy(span -> assertThat(span.getTraceId()).isEqualTo(TRACE));
        assertThat(http.getParentSpanId()).isEqualTo(CALLER_SPAN);
        assertThat(generation.getParentSpanId()).isEqualTo(http.getSpanId());
        assertThat(List.of(queue, prefill, decode))
                .allSatisfy(span -> assertThat(span.getParentSpanId()).isEqualTo(generation.getSpanId()));
        assertThat(chunk.getParentSpanId()).isEqualTo(prefill.getSpanId());
        assertThat(queue.getEndEpochNanos()).isLessThanOrEqualTo(prefill.getStartEpochNanos());
        assertThat(chunk.getStartEpochNanos()).isGreaterThanOrEqualTo(prefill.getStartEpochNanos());
        assertThat(chunk.getEndEpochNanos()).isLessThanOrEqualTo(decode.getStartEpochNanos());
        assertThat(prefill.getEndEpochNanos()).isLessThanOrEqualTo(decode.getStartEpochNanos());

        Map<String, Object> attributes = attributes(generation);
        assertThat(attributes)
                .containsEntry("gen_ai.request.model", servedModel.mixture().name())
                .containsEntry("gen_ai.request.max_tokens", 3L)
                .containsEntry("gen_ai.usage.output_tokens", 3L)
                .containsEntry("gen_ai.response.finish_reasons", List.of("length"))
                .containsEntry(
                        "tributary.routing.mode", servedModel.mixture().router().mode())
                .containsEntry("tributary.experts", servedModel.expertNames())
                .containsEntry("tributary.request_id", "req-42");
        @SuppressWarnings("unchecked")
        List<Double> weights = (List<Double>) attributes.get("tributary.expert_weights.mean");
        assertThat(weights).hasSize(2);
        assertThat(weights.stream().mapToDouble(Double::doubleValue).sum())
                .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(attributes(chunk).get("tributary.positions")).isEqualTo(attributes.get("gen_ai.usage.input_tokens"));
        assertThat(attributes(decode)).containsEntry("gen_ai.usage.output_tokens", 3L);
    }

    @Test
    void aRefusedRequestEndsItsGenerationWithoutPhases() throws Exception {
        HttpResponse<String> response = post("{\"inputs\":\"abc\",\"parameters\":{\"max_new_tokens\":0}}", null);
        assertThat(response.statusCode()).isEqualTo(422);
        await().atMost(Duration.ofSeconds(10)).until(() -> server().isPresent());

        assertThat(exported.getFinishedSpanItems())
                .as("refused before a generation was made")
                .extracting(SpanData::getName)
                .doesNotContain("generation", "queue", "prefill", "decode");
    }

    private HttpResponse<String> post(String body, String traceparent) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/generate"))
                .header("Content-Type", "application/json")
                .header(RequestIdFilter.HEADER, "req-42")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (traceparent != null) {
            request.header("traceparent", traceparent);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private Optional<SpanData> server() {
        return exported.getFinishedSpanItems().stream()
                .filter(span -> span.getKind() == SpanKind.SERVER)
                .findFirst();
    }

    private SpanData named(String name) {
        return exported.getFinishedSpanItems().stream()
                .filter(span -> span.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no span " + name + " in " + exported.getFinishedSpanItems()));
    }

    private static Map<String, Object> attributes(SpanData span) {
        Map<String, Object> byName = new java.util.HashMap<>();
        span.getAttributes().forEach((AttributeKey<?> key, Object value) -> byName.put(key.getKey(), value));
        return byName;
    }
}
