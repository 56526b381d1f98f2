package io.tributary.server.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.tributary.remote.tracing.GrpcTracing;
import io.tributary.routing.decode.GenerationListener;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.server.mixture.ServedModel;
import org.slf4j.MDC;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

import java.util.List;

/**
 * Traces generations with OpenTelemetry. Each one gets a {@code generation} span under the current context (the
 * HTTP request's span, which honours the caller's {@code traceparent}) carrying the model, routing mode, sampling
 * settings, request id, token counts and each expert's mean weight; under it one span per phase: {@code queue},
 * {@code prefill} with a {@code prefill chunk} per step that ran part of the prompt, and {@code decode}. Per phase,
 * not per token: a trace stays small however long the answer. Remote experts join the trace where their sessions
 * open ({@link GrpcTracing}). Spans are exported over OTLP only when an endpoint is set.
 */
@Component
public class GenerationTracing {

    static final AttributeKey<String> MODEL = AttributeKey.stringKey("gen_ai.request.model");
    static final AttributeKey<Long> MAX_TOKENS = AttributeKey.longKey("gen_ai.request.max_tokens");
    static final AttributeKey<Double> TEMPERATURE = AttributeKey.doubleKey("gen_ai.request.temperature");
    static final AttributeKey<Double> TOP_P = AttributeKey.doubleKey("gen_ai.request.top_p");
    static final AttributeKey<String> ROUTING_MODE = AttributeKey.stringKey("tributary.routing.mode");
    static final AttributeKey<List<String>> EXPERTS = AttributeKey.stringArrayKey("tributary.experts");
    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("tributary.request_id");

    private final Tracer tracer;
    private final ServedModel model;

    GenerationTracing(ObjectProvider<OpenTelemetry> openTelemetry, ServedModel model) {
        this.tracer = openTelemetry.getIfAvailable(OpenTelemetry::noop).getTracer("io.tributary.server");
        this.model = model;
    }

    /**
     * Starts the {@code generation} and {@code queue} spans of a generation about to be queued; the returned listener
     * ends them as it hears of the generation's progress, and passes every event on to {@code listener}.
     */
    public TracedGeneration start(GenerationRequest request, GenerationListener listener) {
        SamplingParams sampling = request.sampling();
        String mode =
                (request.router() != null ? request.router() : model.mixture().router()).mode();
        var span = tracer.spanBuilder("generation")
                .setParent(Context.current())
                .setAttribute(MODEL, model.mixture().name())
                .setAttribute(ROUTING_MODE, mode)
                .setAttribute(EXPERTS, model.expertNames())
                .setAttribute(MAX_TOKENS, (long) request.stopping().maxNewTokens())
                .setAttribute(
                        TracedGeneration.INPUT_TOKENS, (long) request.prompt().length());
        if (sampling.doSample()) {
            span.setAttribute(TEMPERATURE, sampling.temperature()).setAttribute(TOP_P, sampling.topP());
        }
        String requestId = MDC.get(RequestIdFilter.LOG_KEY);
        if (requestId != null) {
            span.setAttribute(REQUEST_ID, requestId);
        }
        return new TracedGeneration(tracer, span.startSpan(), listener);
    }
}
