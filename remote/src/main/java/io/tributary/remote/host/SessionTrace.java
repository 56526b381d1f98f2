package io.tributary.remote.host;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.tributary.remote.tracing.GrpcTracing;

/**
 * A hosted session's part of its request's trace: a span from open to close, with what its steps ran, and a child
 * span for its prompt's prefill, from open to the step that leaves nothing pending. Steps batch many requests, so
 * they are counted here rather than traced one by one. A session opened outside any trace gets {@link #NONE}.
 * Confined to the expert's lock, as the session is.
 */
final class SessionTrace {

    static final SessionTrace NONE = new SessionTrace(null, null);

    private static final AttributeKey<String> EXPERT = AttributeKey.stringKey("tributary.expert");
    private static final AttributeKey<Long> SESSION = AttributeKey.longKey("tributary.session.id");
    private static final AttributeKey<Long> PROMPT = AttributeKey.longKey("tributary.prompt.positions");
    private static final AttributeKey<Long> CACHED = AttributeKey.longKey("tributary.prompt.cached_positions");
    private static final AttributeKey<Long> STEPS = AttributeKey.longKey("tributary.session.steps");
    private static final AttributeKey<Long> POSITIONS = AttributeKey.longKey("tributary.session.positions");
    private static final AttributeKey<String> END = AttributeKey.stringKey("tributary.session.end");

    private final Span session;
    private Span prefill; // null once the prompt is computed
    private long steps;
    private long positions;

    private SessionTrace(Span session, Span prefill) {
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
        return new SessionTrace(session, prefill);
    }

    /** A step ran {@code ran} positions of the session, leaving {@code pending}. */
    void stepped(int ran, int pending, int cachedPromptPositions) {
        if (session == null) {
            return;
        }
        steps++;
        positions += ran;
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
