package io.tributary.server.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.tributary.remote.tracing.SpanTimes;
import io.tributary.routing.ImageEncoding;
import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.GenerationListener;
import io.tributary.routing.decode.GenerationResult;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One generation's spans, ended as its listener hears of its progress (see {@link GenerationTracing}). Events come
 * from one decoding thread at a time; the phase fields are volatile because {@link #inContext} may also run on the
 * thread that queued the generation.
 */
public final class TracedGeneration implements GenerationListener {

    static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    static final AttributeKey<List<String>> FINISH_REASONS =
            AttributeKey.stringArrayKey("gen_ai.response.finish_reasons");
    static final AttributeKey<List<Double>> MEAN_WEIGHTS = AttributeKey.doubleArrayKey("tributary.expert_weights.mean");
    static final AttributeKey<Long> CACHED = AttributeKey.longKey("tributary.prompt.cached_positions");
    static final AttributeKey<Long> POSITIONS = AttributeKey.longKey("tributary.positions");
    static final AttributeKey<String> EXPERT = AttributeKey.stringKey("tributary.expert");
    static final AttributeKey<Long> IMAGES = AttributeKey.longKey("tributary.images");
    static final AttributeKey<String> DETAIL = AttributeKey.stringKey("tributary.failover");

    private final Tracer tracer;
    private final Span generation;
    private final GenerationListener listener;
    private volatile Span queue;
    private volatile Span prefill;
    private volatile Span decode;
    private double[] weightSums = new double[0];
    private long tokens;

    TracedGeneration(Tracer tracer, Span generation, GenerationListener listener) {
        this.tracer = tracer;
        this.generation = generation;
        this.listener = listener;
        this.queue = child("queue", generation);
    }

    /** Ends every span of a generation that could not be queued (overloaded, shutting down, too large). */
    public void refused(RuntimeException reason) {
        endAll(reason);
    }

    @Override
    public void onStarted() {
        end(queue);
        queue = null;
        prefill = child("prefill", generation);
        listener.onStarted();
    }

    @Override
    public void onPromptChunk(int positions, long startNanos, long endNanos) {
        Span parent = prefill;
        if (parent != null) {
            tracer.spanBuilder("prefill chunk")
                    .setParent(Context.current().with(parent))
                    .setStartTimestamp(SpanTimes.epochNanos(startNanos), TimeUnit.NANOSECONDS)
                    .setAttribute(POSITIONS, (long) positions)
                    .startSpan()
                    .end(SpanTimes.epochNanos(endNanos), TimeUnit.NANOSECONDS);
        }
        listener.onPromptChunk(positions, startNanos, endNanos);
    }

    /** An {@code encode images} span in the phase the encoding happened in (a preempted answer's is in decode). */
    @Override
    public void onImagesEncoded(String expert, ImageEncoding encoding) {
        tracer.spanBuilder("encode images")
                .setParent(Context.current().with(currentPhase()))
                .setStartTimestamp(SpanTimes.epochNanos(encoding.startNanos()), TimeUnit.NANOSECONDS)
                .setAttribute(EXPERT, expert)
                .setAttribute(IMAGES, (long) encoding.images())
                .startSpan()
                .end(SpanTimes.epochNanos(encoding.endNanos()), TimeUnit.NANOSECONDS);
        listener.onImagesEncoded(expert, encoding);
    }

    @Override
    public void onToken(GeneratedToken token) {
        if (token.index() == 0) {
            end(prefill);
            prefill = null;
            decode = child("decode", generation);
        }
        double[] weights = token.expertWeights();
        if (weightSums.length < weights.length) {
            weightSums = Arrays.copyOf(weightSums, weights.length);
        }
        for (int k = 0; k < weights.length; k++) {
            weightSums[k] += weights[k];
        }
        tokens++;
        listener.onToken(token);
    }

    @Override
    public void onFinish(GenerationResult result) {
        if (decode != null) {
            decode.setAttribute(OUTPUT_TOKENS, tokens);
        }
        generation
                .setAttribute(OUTPUT_TOKENS, (long) result.generatedTokens())
                .setAttribute(FINISH_REASONS, List.of(result.finishReason().wireName()))
                .setAttribute(CACHED, (long) result.cachedPromptPositions())
                .setAttribute(MEAN_WEIGHTS, meanWeights());
        endAll(null);
        listener.onFinish(result);
    }

    @Override
    public void onError(Throwable error) {
        generation.setAttribute(OUTPUT_TOKENS, tokens).setAttribute(MEAN_WEIGHTS, meanWeights());
        endAll(error);
        listener.onError(error);
    }

    @Override
    public void onExpertLost(String expert, Throwable failure) {
        generation.addEvent(
                "expert lost",
                Attributes.of(
                        EXPERT,
                        expert,
                        AttributeKey.stringKey("exception.message"),
                        String.valueOf(failure.getMessage())));
        listener.onExpertLost(expert, failure);
    }

    @Override
    public void onExpertFailover(String expert, String detail) {
        generation.addEvent("expert failover", Attributes.of(EXPERT, expert, DETAIL, detail));
        listener.onExpertFailover(expert, detail);
    }

    /** Runs work for this generation in its current phase's span, so that an expert opened remotely joins it. */
    @Override
    public <T> T inContext(Supplier<T> work) {
        try (Scope ignored = Context.current().with(currentPhase()).makeCurrent()) {
            return listener.inContext(work);
        }
    }

    /** The span of the phase the generation is in: prefill, decode, or (queued, or over) the generation's own. */
    private Span currentPhase() {
        Span prefill = this.prefill;
        Span decode = this.decode;
        return prefill != null ? prefill : decode != null ? decode : generation;
    }

    private Span child(String name, Span parent) {
        return tracer.spanBuilder(name)
                .setParent(Context.current().with(parent))
                .startSpan();
    }

    private List<Double> meanWeights() {
        return Arrays.stream(weightSums)
                .map(sum -> tokens == 0 ? 0 : sum / tokens)
                .boxed()
                .toList();
    }

    private void endAll(Throwable error) {
        for (Span phase : new Span[] {queue, prefill, decode}) {
            end(phase);
        }
        queue = prefill = decode = null;
        if (error != null) {
            if (error instanceof CancellationException) {
                generation.setAttribute(FINISH_REASONS, List.of("cancelled"));
            } else {
                generation.recordException(error).setStatus(StatusCode.ERROR, String.valueOf(error.getMessage()));
            }
        }
        generation.end();
    }

    private static void end(Span span) {
        if (span != null) {
            span.end();
        }
    }
}
