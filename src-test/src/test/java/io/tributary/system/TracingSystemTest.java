package io.tributary.system;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Traces across processes, on the packaged jar: an expert server (the embedded default's experts) and a gateway that
 * takes its {@code digits} expert from that server and the other three from files, both exporting spans over OTLP to
 * a receiver in this test that speaks the protocol's own gRPC service. A chat about a picture of a digit, sent with a
 * {@code traceparent}, comes back as one trace: the gateway's request, generation, queue, prefill and decode spans,
 * the gateway's call that opens the remote session, and the expert server's spans for it.
 */
class TracingSystemTest {

    private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String CALLER_SPAN = "b7ad6b7169203331";
    private static final String OPEN = "tributary.remote.v1.ExpertService/Open";

    @TempDir
    static Path dir;

    static OtlpReceiver receiver;
    static ServerProcess expertServer;
    static ServerProcess gateway;

    @BeforeAll
    static void start() throws Exception {
        receiver = new OtlpReceiver();
        int grpcPort = ServerProcess.freePort();
        Path cache = dir.resolve("cache");
        expertServer = ServerProcess.start(
                cache, exporting("--tributary.role=expert", "--tributary.expert-server.port=" + grpcPort));
        // The gateway reads the same files, but asks the expert server for digits.
        Path embedded = cache.resolve("embedded-default-v2");
        String manifest = Files.readString(embedded.resolve("mixture.yaml"))
                .replace("path: \"digits\"", "address: \"localhost:" + grpcPort + "\"");
        assertThat(manifest).contains("localhost:" + grpcPort);
        Path gatewayManifest = Files.writeString(embedded.resolve("gateway.yaml"), manifest);
        gateway = ServerProcess.start(cache, exporting("--tributary.mixture=" + gatewayManifest));
    }

    private static String[] exporting(String... args) {
        List<String> all = new java.util.ArrayList<>(List.of(args));
        all.add("--management.opentelemetry.tracing.export.otlp.endpoint=" + receiver.endpoint());
        all.add("--management.opentelemetry.tracing.export.otlp.transport=grpc");
        all.add("--management.opentelemetry.tracing.export.schedule-delay=200ms");
        return all.toArray(String[]::new);
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable closing : new AutoCloseable[] {gateway, expertServer, receiver}) {
            if (closing != null) {
                closing.close();
            }
        }
    }

    @Test
    void aChatWithAnImageThroughARemoteExpertIsOneTraceAcrossBothProcesses() throws Exception {
        EmbeddedExample digit = EmbeddedExample.all().get(0);
        ObjectNode request =
                JsonNodeFactory.instance.objectNode().put("max_tokens", 4).put("temperature", 0);
        var content =
                request.putArray("messages").addObject().put("role", "user").putArray("content");
        content.addObject().put("type", "image_url").putObject("image_url").put("url", digit.image());
        content.addObject().put("type", "text").put("text", digit.question());

        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + gateway.port + "/v1/chat/completions"))
                                .header("Content-Type", "application/json")
                                .header("traceparent", "00-" + TRACE + "-" + CALLER_SPAN + "-01")
                                .POST(HttpRequest.BodyPublishers.ofString(request.toString()))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);

        // The expert's session span ends when the gateway closes the session, after the answer. Other traces (the
        // readiness probes' requests) are left out.
        List<OtlpReceiver.Received> trace =
                awaitSpans(spans -> spans.stream().anyMatch(named("expert session"))).stream()
                        .filter(span -> span.traceId().equals(TRACE))
                        .toList();

        OtlpReceiver.Received http =
                one(trace, "gateway", span -> span.parentSpanId().equals(CALLER_SPAN));
        OtlpReceiver.Received generation = one(trace, "gateway", named("generation"));
        assertThat(generation.parentSpanId()).isEqualTo(http.spanId());
        for (String phase : List.of("queue", "prefill", "decode")) {
            assertThat(one(trace, "gateway", named(phase)).parentSpanId())
                    .as(phase)
                    .isEqualTo(generation.spanId());
        }
        OtlpReceiver.Received prefill = one(trace, "gateway", named("prefill"));
        assertThat(trace.stream().filter(named("prefill chunk")))
                .isNotEmpty()
                .allSatisfy(chunk -> assertThat(chunk.parentSpanId()).isEqualTo(prefill.spanId()));

        OtlpReceiver.Received open = one(trace, "gateway", named(OPEN));
        OtlpReceiver.Received served = one(trace, "expert", named(OPEN));
        OtlpReceiver.Received session = one(trace, "expert", named("expert session"));
        assertThat(open.parentSpanId())
                .as("the session opens while the prompt is prefilled")
                .isEqualTo(prefill.spanId());
        assertThat(served.parentSpanId()).isEqualTo(open.spanId());
        assertThat(session.parentSpanId()).isEqualTo(served.spanId());
        assertThat(session.attribute("tributary.expert")).isEqualTo("digits");
        OtlpReceiver.Received hostPrefill = one(trace, "expert", named("expert prefill"));
        assertThat(hostPrefill.parentSpanId()).isEqualTo(session.spanId());

        // The picture is encoded by the three local experts here, and by digits in the expert server.
        assertThat(trace.stream()
                        .filter(span -> "gateway".equals(span.resourceAttribute("tributary.role")))
                        .filter(named("encode images")))
                .hasSize(3)
                .allSatisfy(encode -> assertThat(encode.parentSpanId()).isEqualTo(prefill.spanId()))
                .extracting(encode -> encode.attribute("tributary.expert"))
                .containsExactlyInAnyOrder("colours", "bars", "shapes");
        OtlpReceiver.Received hostEncode = one(trace, "expert", named("encode images"));
        assertThat(hostEncode.parentSpanId()).isEqualTo(hostPrefill.spanId());
        assertThat(hostEncode.attribute("tributary.expert")).isEqualTo("digits");
    }

    @Test
    void theGatewayMeasuresTheRemoteExpertsTimeOnTheWire() throws Exception {
        String chat = "{\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"Count.\"}]}";
        HttpClient http = HttpClient.newHttpClient();
        URI base = URI.create("http://localhost:" + gateway.port);
        assertThat(http.send(
                                HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                                        .header("Content-Type", "application/json")
                                        .POST(HttpRequest.BodyPublishers.ofString(chat))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .statusCode())
                .isEqualTo(200);

        String scrape = http.send(
                        HttpRequest.newBuilder(base.resolve("/metrics")).build(), HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(sample(scrape, "tributary_remote_wire_seconds_count", "digits"))
                .isPositive();
        assertThat(sample(scrape, "tributary_remote_wire_seconds_sum", "digits"))
                .isPositive();
        assertThat(scrape)
                .as("local experts have no wire")
                .doesNotContain("tributary_remote_wire_seconds_count{application=\"tributary\",expert=\"bars\"}");
    }

    private static double sample(String scrape, String name, String expert) {
        return scrape.lines()
                .filter(line -> line.startsWith(name + "{") && line.contains("expert=\"" + expert + "\""))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " for " + expert + " in\n" + scrape));
    }

    private static Predicate<OtlpReceiver.Received> named(String name) {
        return span -> span.name().equals(name);
    }

    /** The one span of {@code role}'s process that matches. */
    private static OtlpReceiver.Received one(
            List<OtlpReceiver.Received> spans, String role, Predicate<OtlpReceiver.Received> matching) {
        List<OtlpReceiver.Received> found = spans.stream()
                .filter(span -> role.equals(span.resourceAttribute("tributary.role")))
                .filter(matching)
                .toList();
        assertThat(found).as("one such span of the %s in %s", role, spans).hasSize(1);
        return found.get(0);
    }

    private static List<OtlpReceiver.Received> awaitSpans(Predicate<List<OtlpReceiver.Received>> complete)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            List<OtlpReceiver.Received> spans = receiver.spans();
            if (complete.test(spans)) {
                Thread.sleep(500); // anything exported in the same round
                return receiver.spans();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the expert's session span never arrived; received " + receiver.spans());
    }
}
