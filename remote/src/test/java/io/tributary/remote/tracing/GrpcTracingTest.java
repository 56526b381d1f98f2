package io.tributary.remote.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.tributary.remote.client.RemoteExpert;
import io.tributary.remote.client.RemoteOptions;
import io.tributary.remote.host.ExpertHostServer;
import io.tributary.remote.host.HostedExpert;
import io.tributary.routing.Prompt;
import io.tributary.routing.decode.Generation;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.decode.Mixture;
import io.tributary.routing.decode.StoppingCriteria;
import io.tributary.routing.router.UniformRouter;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.routing.testing.FakeExpert;
import io.tributary.routing.testing.LetterDetokenizer;
import io.tributary.routing.testing.RecordingListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A request's trace crosses the wire: the gateway's open call, the expert's server span and its session's spans. */
class GrpcTracingTest {

    private static final int VOCABULARY = 31;
    private static final String OPEN = "tributary.remote.v1.ExpertService/Open";

    private final InMemorySpanExporter exported = InMemorySpanExporter.create();
    private OpenTelemetrySdk openTelemetry;
    private ExpertHostServer host;
    private RemoteExpert remote;

    @BeforeEach
    void start() {
        openTelemetry = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .addSpanProcessor(SimpleSpanProcessor.create(exported))
                        .build())
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
                .build();
        GrpcTracing tracing = new GrpcTracing(openTelemetry);
        HostedExpert expert = new HostedExpert(
                new FakeExpert("alpha", VOCABULARY, 7),
                Optional.empty(),
                Set.of(),
                Map.of("tokenizer.json", new byte[0]));
        host = new ExpertHostServer(
                        List.of(expert),
                        new ExpertHostServer.Settings(0, Duration.ofMinutes(1), 2),
                        Thread::new,
                        tracing)
                .start();
        remote = RemoteExpert.connect("alpha", "localhost:" + host.port(), RemoteOptions.DEFAULT.withTracing(tracing));
    }

    @AfterEach
    void stop() {
        remote.close();
        host.close();
        openTelemetry.close();
    }

    @Test
    void aTracedRequestsOpenJoinsItsTraceOnBothSidesAndTheHostAccountsForItsSession() {
        Span request = openTelemetry.getTracer("test").spanBuilder("request").startSpan();
        Context traced = Context.current().with(request);
        RecordingListener listener = new RecordingListener() {
            @Override
            public <T> T inContext(Supplier<T> work) {
                try (Scope ignored = traced.makeCurrent()) {
                    return work.get();
                }
            }
        };
        decode(listener, 6);
        request.end();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> named("expert session").isPresent());

        String traceId = request.getSpanContext().getTraceId();
        assertThat(exported.getFinishedSpanItems())
                .as("one trace, and no span for the batched steps or lease renewals")
                .allSatisfy(span -> assertThat(span.getTraceId()).isEqualTo(traceId))
                .noneSatisfy(span -> assertThat(span.getName()).endsWith("/Step"));
        SpanData client = spans(OPEN, SpanKind.CLIENT);
        SpanData server = spans(OPEN, SpanKind.SERVER);
        SpanData session = named("expert session").orElseThrow();
        SpanData prefill = named("expert prefill").orElseThrow();
        assertThat(client.getParentSpanId()).isEqualTo(request.getSpanContext().getSpanId());
        assertThat(server.getParentSpanId()).isEqualTo(client.getSpanId());
        assertThat(session.getParentSpanId()).isEqualTo(server.getSpanId());
        assertThat(prefill.getParentSpanId()).isEqualTo(session.getSpanId());
        assertThat(server.getAttributes().asMap())
                .containsEntry(io.opentelemetry.api.common.AttributeKey.stringKey("rpc.system"), "grpc");
        // Five prompt positions in one step, then one step per token after the first: six tokens, six steps.
        Map<String, Object> counted = attributes(session);
        assertThat(counted)
                .containsEntry("tributary.expert", "alpha")
                .containsEntry("tributary.prompt.positions", 5L)
                .containsEntry("tributary.session.steps", 6L)
                .containsEntry("tributary.session.positions", 10L)
                .containsEntry("tributary.session.end", "closed");
        assertThat(prefill.getEndEpochNanos()).isLessThanOrEqualTo(session.getEndEpochNanos());
    }

    @Test
    void callsOutsideAnyTraceCarryNothingAndMakeNoSpans() {
        decode(new RecordingListener(), 4);
        await().atMost(Duration.ofSeconds(10)).until(() -> host.openSessions() == 0);

        assertThat(exported.getFinishedSpanItems()).isEmpty();
    }

    private void decode(RecordingListener listener, int tokens) {
        Mixture mixture = new Mixture(
                "m", List.of(remote), new UniformRouter(), new LetterDetokenizer(VOCABULARY, Set.of()), Set.of());
        Generation generation = mixture.start(
                new GenerationRequest(
                        Prompt.ofTokens(3, 1, 4, 1, 5),
                        SamplingParams.GREEDY,
                        StoppingCriteria.maxNewTokens(tokens),
                        null,
                        0,
                        false),
                listener);
        while (!generation.step()) {
            // inline, one step at a time
        }
        assertThat(listener.result.join().generatedTokens()).isEqualTo(tokens);
    }

    private Optional<SpanData> named(String name) {
        return exported.getFinishedSpanItems().stream()
                .filter(span -> span.getName().equals(name))
                .findFirst();
    }

    private SpanData spans(String name, SpanKind kind) {
        return exported.getFinishedSpanItems().stream()
                .filter(span -> span.getName().equals(name) && span.getKind() == kind)
                .findFirst()
                .orElseThrow(() ->
                        new AssertionError("no " + kind + " span " + name + " in " + exported.getFinishedSpanItems()));
    }

    private static Map<String, Object> attributes(SpanData span) {
        Map<String, Object> byName = new java.util.HashMap<>();
        span.getAttributes().forEach((key, value) -> byName.put(key.getKey(), value));
        return byName;
    }
}
