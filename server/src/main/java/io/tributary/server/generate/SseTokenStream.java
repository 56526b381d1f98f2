package io.tributary.server.generate;

import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.Generation;
import io.tributary.routing.decode.GenerationListener;
import io.tributary.routing.decode.GenerationResult;
import io.tributary.server.error.ErrorResponse;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import java.io.IOException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Streams a generation as server-sent events in TGI's format: one {@code data:} event per token, the last one
 * carrying {@code generated_text}; an error mid-stream becomes a final {@code {"error", "error_type"}} event.
 *
 * <p>Decoding threads must never wait for a slow client, so events are queued here and written by a writer
 * executor, one drain at a time per stream (events of one stream stay in order). If the client goes away, the
 * generation is cancelled and its KV caches freed.
 */
final class SseTokenStream implements GenerationListener {

    private final SseEmitter emitter;
    private final Executor writer;
    private final String prefix;
    private final boolean details;
    private final ConcurrentLinkedQueue<Object> pending = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicReference<Generation> generation = new AtomicReference<>();
    private volatile boolean closed;
    private GeneratedToken last;

    SseTokenStream(SseEmitter emitter, Executor writer, String prefix, boolean details) {
        this.emitter = emitter;
        this.writer = writer;
        this.prefix = prefix;
        this.details = details;
        emitter.onCompletion(this::clientGone);
        emitter.onTimeout(this::clientGone);
        emitter.onError(error -> clientGone());
    }

    /** Binds the running generation, so that a departing client can cancel it. */
    void attach(Generation running) {
        generation.set(running);
        if (closed) {
            running.cancel();
        }
    }

    @Override
    public void onToken(GeneratedToken token) {
        if (token.last()) {
            last = token; // sent by onFinish, which follows at once, with the final text
            return;
        }
        enqueue(new StreamResponse(token.index() + 1, Tokens.toWire(token), Tokens.topTokens(token), null, null));
    }

    @Override
    public void onFinish(GenerationResult result) {
        enqueue(new StreamResponse(last.index() + 1, Tokens.toWire(last), Tokens.topTokens(last),
                prefix + result.generatedText(),
                details ? Tokens.streamDetails(result) : null));
        enqueue(End.COMPLETE);
    }

    @Override
    public void onError(Throwable error) {
        enqueue(ErrorResponse.of(error));
        enqueue(End.COMPLETE);
    }

    private void enqueue(Object event) {
        if (closed) {
            return;
        }
        pending.add(event);
        if (draining.compareAndSet(false, true)) {
            writer.execute(this::drain);
        }
    }

    private void drain() {
        do {
            Object event;
            while ((event = pending.poll()) != null) {
                write(event);
            }
            draining.set(false);
            // An event may have arrived between the last poll and the reset: take it, unless another drain did.
        } while (!pending.isEmpty() && draining.compareAndSet(false, true));
    }

    private void write(Object event) {
        if (closed) {
            return;
        }
        try {
            if (event == End.COMPLETE) {
                closed = true;
                emitter.complete();
            } else {
                emitter.send(SseEmitter.event().data(event, MediaType.APPLICATION_JSON));
            }
        } catch (IOException | IllegalStateException e) {
            clientGone();
        }
    }

    private void clientGone() {
        closed = true;
        Generation running = generation.get();
        if (running != null) {
            running.cancel();
        }
    }

    private enum End { COMPLETE }
}
