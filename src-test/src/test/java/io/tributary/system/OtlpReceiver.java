package io.tributary.system;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An OpenTelemetry collector's trace endpoint on loopback: the OTLP gRPC {@code TraceService}, keeping every span
 * exported to it with the resource that sent it.
 */
final class OtlpReceiver implements AutoCloseable {

    /** A received span, its ids in the hex that {@code traceparent} uses, and an attribute of its resource. */
    record Received(Span span, Resource resource) {

        String traceId() {
            return HexFormat.of().formatHex(span.getTraceId().toByteArray());
        }

        String spanId() {
            return HexFormat.of().formatHex(span.getSpanId().toByteArray());
        }

        String parentSpanId() {
            return HexFormat.of().formatHex(span.getParentSpanId().toByteArray());
        }

        String name() {
            return span.getName();
        }

        String resourceAttribute(String key) {
            return attribute(resource.getAttributesList(), key);
        }

        String attribute(String key) {
            return attribute(span.getAttributesList(), key);
        }

        private static String attribute(List<KeyValue> attributes, String key) {
            return attributes.stream()
                    .filter(attribute -> attribute.getKey().equals(key))
                    .map(attribute -> attribute.getValue().getStringValue())
                    .findFirst()
                    .orElse(null);
        }

        @Override
        public String toString() {
            return name() + " (" + resourceAttribute("tributary.role") + ", span " + spanId() + ", parent "
                    + parentSpanId() + ", trace " + traceId() + ")";
        }
    }

    private final List<Received> spans = new CopyOnWriteArrayList<>();
    private final Server server;

    OtlpReceiver() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new TraceServiceGrpc.TraceServiceImplBase() {
                    @Override
                    public void export(
                            ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> reply) {
                        for (ResourceSpans resourceSpans : request.getResourceSpansList()) {
                            for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
                                scopeSpans
                                        .getSpansList()
                                        .forEach(span -> spans.add(new Received(span, resourceSpans.getResource())));
                            }
                        }
                        reply.onNext(ExportTraceServiceResponse.getDefaultInstance());
                        reply.onCompleted();
                    }
                })
                .build()
                .start();
    }

    /** The endpoint to give an exporter that speaks OTLP over gRPC. */
    String endpoint() {
        return "http://127.0.0.1:" + server.getPort();
    }

    List<Received> spans() {
        return List.copyOf(spans);
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
