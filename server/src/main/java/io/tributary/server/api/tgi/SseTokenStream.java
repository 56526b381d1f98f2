package io.tributary.server.api.tgi;

import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.Generation;
import io.tributary.routing.decode.GenerationListener;
import io.tributary.routing.decode.GenerationResult;
import io.tributary.server.error.StreamedError;
import io.tributary.server.serving.SseEventQueue;
import io.tributary.server.serving.StreamedExpertEvents;

/**
 * Streams a generation as server-sent events in TGI's format: one {@code data:} event per token, the last one
 * carrying {@code generated_text}; an error mid-stream becomes a final {@code {"error", "error_type"}} event. The
 * first event after an expert was lost carries {@code lost_experts}.
 */
final class SseTokenStream implements GenerationListener {

    private final SseEventQueue events;
    private final String prefix;
    private final boolean details;
    private final StreamedExpertEvents experts = new StreamedExpertEvents();
    private GeneratedToken last;

    SseTokenStream(SseEventQueue events, String prefix, boolean details) {
        this.events = events;
        this.prefix = prefix;
        this.details = details;
    }

    void attach(Generation running) {
        events.attach(running);
    }

    @Override
    public void onToken(GeneratedToken token) {
        experts.token();
        if (token.last()) {
            last = token; // sent by onFinish, which follows at once, with the final text
            return;
        }
        events.send(new StreamResponse(
                token.index() + 1,
                Tokens.toWire(token),
                Tokens.topTokens(token),
                null,
                null,
                experts.drainLost(),
                experts.drainFailovers()));
    }

    @Override
    public void onExpertLost(String expert, Throwable failure) {
        experts.lost(expert, failure);
    }

    @Override
    public void onExpertFailover(String expert, String detail) {
        experts.failover(expert, detail);
    }

    @Override
    public void onFinish(GenerationResult result) {
        events.send(new StreamResponse(
                last.index() + 1,
                Tokens.toWire(last),
                Tokens.topTokens(last),
                prefix + result.generatedText(),
                details ? Tokens.streamDetails(result) : null,
                experts.drainLost(),
                experts.drainFailovers()));
        events.complete();
    }

    @Override
    public void onError(Throwable error) {
        events.send(StreamedError.of(error).body());
        events.complete();
    }
}
