package io.tributary.remote.tracing;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Carries a request's trace across the gateway-expert wire: the trace context (W3C {@code traceparent}) in the call's
 * metadata, a client span around each call made for a traced request, and a server span around each call that
 * arrives with a trace context, current while the call is served. Calls made outside any trace (the batched steps,
 * which serve many requests at once, and lease renewals) carry nothing and make no spans.
 */
public final class GrpcTracing {

    public static final GrpcTracing NONE = new GrpcTracing(OpenTelemetry.noop());

    private static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
    private static final AttributeKey<String> RPC_SERVICE = AttributeKey.stringKey("rpc.service");
    private static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
    private static final AttributeKey<Long> RPC_STATUS = AttributeKey.longKey("rpc.grpc.status_code");

    private static final TextMapSetter<Metadata> SETTER =
            (metadata, key, value) -> metadata.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value);

    private static final TextMapGetter<Metadata> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Metadata metadata) {
            return metadata.keys();
        }

        @Override
        public String get(Metadata metadata, String key) {
            return metadata == null ? null : metadata.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
        }
    };

    private final Tracer tracer;
    private final TextMapPropagator propagator;

    public GrpcTracing(OpenTelemetry openTelemetry) {
        this.tracer = openTelemetry.getTracer("io.tributary.remote");
        this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
    }

    public Tracer tracer() {
        return tracer;
    }

    /** Whether the calling thread works for a traced request. */
    public static boolean tracing() {
        return Span.current().getSpanContext().isValid();
    }

    /** For a gateway's channels: each call made within a trace gets a client span and sends its context. */
    public ClientInterceptor client() {
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(
                    MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                if (!tracing()) {
                    return next.newCall(method, options);
                }
                Span span = start(method, SpanKind.CLIENT, Context.current());
                Context context = Context.current().with(span);
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        propagator.inject(context, headers, SETTER);
                        super.start(
                                new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                                    @Override
                                    public void onClose(Status status, Metadata trailers) {
                                        end(span, status);
                                        super.onClose(status, trailers);
                                    }
                                },
                                headers);
                    }
                };
            }
        };
    }

    /** For an expert server: a call that arrives with a trace context is served in a server span of that trace. */
    public ServerInterceptor server() {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(
                    ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                Context remote = propagator.extract(Context.root(), headers, GETTER);
                if (!Span.fromContext(remote).getSpanContext().isValid()) {
                    return next.startCall(call, headers);
                }
                Span span = start(call.getMethodDescriptor(), SpanKind.SERVER, remote);
                Context context = remote.with(span);
                AtomicBoolean ended = new AtomicBoolean();
                Runnable cancelled = () -> {
                    if (ended.compareAndSet(false, true)) {
                        end(span, Status.CANCELLED);
                    }
                };
                ServerCall<Q, R> ending = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                    @Override
                    public void close(Status status, Metadata trailers) {
                        if (ended.compareAndSet(false, true)) {
                            end(span, status);
                        }
                        super.close(status, trailers);
                    }
                };
                ServerCall.Listener<Q> listener;
                try (Scope ignored = context.makeCurrent()) {
                    listener = next.startCall(ending, headers);
                }
                return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
                    @Override
                    public void onMessage(Q message) {
                        within(context, () -> super.onMessage(message));
                    }

                    @Override
                    public void onHalfClose() {
                        within(context, super::onHalfClose);
                    }

                    @Override
                    public void onCancel() {
                        within(context, super::onCancel);
                        cancelled.run();
                    }

                    @Override
                    public void onComplete() {
                        within(context, super::onComplete);
                    }

                    @Override
                    public void onReady() {
                        within(context, super::onReady);
                    }
                };
            }
        };
    }

    private Span start(MethodDescriptor<?, ?> method, SpanKind kind, Context parent) {
        return tracer.spanBuilder(method.getFullMethodName())
                .setParent(parent)
                .setSpanKind(kind)
                .setAttribute(RPC_SYSTEM, "grpc")
                .setAttribute(RPC_SERVICE, method.getServiceName())
                .setAttribute(RPC_METHOD, method.getBareMethodName())
                .startSpan();
    }

    private static void end(Span span, Status status) {
        span.setAttribute(RPC_STATUS, (long) status.getCode().value());
        if (!status.isOk()) {
            span.setStatus(StatusCode.ERROR, status.getCode() + ": " + status.getDescription());
        }
        span.end();
    }

    private static void within(Context context, Runnable work) {
        try (Scope ignored = context.makeCurrent()) {
            work.run();
        }
    }
}
