package io.tributary.remote.host;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.tributary.remote.tracing.GrpcTracing;
import io.tributary.remote.tracing.SpanTimes;
import io.tributary.routing.ImageEncoding;

import java.util.concurrent.TimeUnit;

/**
 * A hosted session's part of its request's trace: a span from open to close, with what its steps ran, and a child
 * span for its prompt's prefill, from open to the step that leaves nothing pending. Steps batch many requests, so
 * they are counted here rather than traced one by one; the images' encoding gets its own span. A session opened outside any trace gets {@link #NONE}.
 * Confined to the expert's lock, as the session is.
 */
final class SessionTrace {

    static final SessionTrace NONE = new SessionTrace(null, null, null, null);

    private static final AttributeKey<String> EXPERT = AttributeKey.stringKey("tributary.expert");
    private static final AttributeKey<Long> SESSION = AttributeKey.longKey("tributary.session.id");
    private static final AttributeKey<Long> PROMPT = AttributeKey.longKey("tributary.prompt.positions");
    private static final AttributeKey<Long> CACHED = AttributeKey.longKey("tributary.prompt.cached_positions");
    private static final AttributeKey<Long> STEPS = AttributeKey.longKey("tributary.session.steps");
    private static final AttributeKey<Long> POSITIONS = AttributeKey.longKey("tributary.session.positions");
    private static final AttributeKey<String> END = AttributeKey.stringKey("tributary.session.end");
    private static final AttributeKey<Long> IMAGES = AttributeKey.longKey("tributary.images");

    private final Tracer tracer;
    private final String expert;
    private final Span session;
    private Span prefill; // null once the prompt is computed
    private ImageEncoding reportedImages;
    private long steps;
    private long positions;

    private SessionTrace(Tracer tracer, String expert, Span session, Span prefill) {
        this.tracer = tracer;
        this.expert = expert;
        this.session = session;
        this.prefill = prefill;
    }

    /** Starts the spans under the current context (the open call's server span) when it is traced. */
    static SessionTrace open(Tracer tracer, String expert, long id, int promptPositions) {
        if (!GrpcTracing.tracing()) {
            return NONE;
        }
        Span session = tracer.spanBuilder("expert session")
                .setAttribute(EXPERT, expert)
                .setAttribute(SESSION, id)
                .setAttribute(PROMPT, (long) promptPositions)
                .startSpan();
        Span prefill = tracer.spanBuilder("expert prefill")
                .setParent(Context.current().with(session))
                .setAttribute(EXPERT, expert)
                .startSpan();
        return new SessionTrace(tracer, expert, session, prefill);
    }

    /**
     * A step ran {@code ran} positions of the session, leaving {@code pending}; {@code images}, when not null, is
     * when the session encoded its prompt's images (reported once).
     */
    void stepped(int ran, int pending, int cachedPromptPositions, ImageEncoding images) {
        if (session == null) {
            return;
        }
        steps++;
        positions += ran;
        if (images != null && images != reportedImages) {
            reportedImages = images;
            tracer.spanBuilder("encode images")
                    .setParent(Context.current().with(prefill != null ? prefill : session))
                    .setStartTimestamp(SpanTimes.epochNanos(images.startNanos()), TimeUnit.NANOSECONDS)
                    .setAttribute(EXPERT, expert)
                    .setAttribute(IMAGES, (long) images.images())
                    .startSpan()
                    .end(SpanTimes.epochNanos(images.endNanos()), TimeUnit.NANOSECONDS);
        }
        if (prefill != null && pending == 0) {
            prefill.setAttribute(CACHED, (long) cachedPromptPositions);
            prefill.end();
            prefill = null;
        }
    }

    /** The session ended: {@code why} is {@code closed} (by its gateway), {@code expired} or {@code shutdown}. */
    void end(String why) {
        if (session == null) {
            return;
        }
        if (prefill != null) {
            prefill.end();
            prefill = null;
        }
        session.setAttribute(STEPS, steps)
                .setAttribute(POSITIONS, positions)
                .setAttribute(END, why)
                .end();
    }
}
