package io.tributary.server.serving;

import io.tributary.routing.decode.Generation;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter.DataWithMediaType;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The events of one server-sent-event stream, written in order by a writer executor.
 *
 * <p>Decoding threads must never wait for a slow client, so events are queued here and written by the writer, one
 * drain at a time per stream. If the client goes away, the generation is cancelled and its KV caches freed.
 */
public final class SseEventQueue {

    private final SseEmitter emitter;
    private final Executor writer;
    private final ConcurrentLinkedQueue<Object> pending = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final List<Generation> generations = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public SseEventQueue(SseEmitter emitter, Executor writer) {
        this.emitter = emitter;
        this.writer = writer;
        emitter.onCompletion(this::clientGone);
        emitter.onTimeout(this::clientGone);
        emitter.onError(error -> clientGone());
    }

    /** Binds a running generation (a stream of several choices has one each), so that a departing client cancels it. */
    public void attach(Generation running) {
        generations.add(running);
        if (closed) {
            running.cancel();
        }
    }

    /** Queues an event written as JSON. */
    public void send(Object event) {
        enqueue(event);
    }

    /** Queues an event written as it is ({@code [DONE]}). */
    public void sendText(String event) {
        enqueue(new Text(event));
    }

    /** Ends the stream once the queued events are written. */
    public void complete() {
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
            } else if (event instanceof Text text) {
                emitter.send(dataLine(text.value(), MediaType.TEXT_PLAIN));
            } else {
                emitter.send(dataLine(event, MediaType.APPLICATION_JSON));
            }
        } catch (IOException | IllegalStateException e) {
            clientGone();
        }
    }

    /**
     * One event of one {@code data: } line, with the space that OpenAI, vLLM and TGI write and that clients splitting
     * on {@code "data: "} expect (Spring's event builder writes {@code data:}). The payload is one line: JSON without
     * line breaks, or a marker such as {@code [DONE]}.
     */
    private static Set<DataWithMediaType> dataLine(Object payload, MediaType type) {
        Set<DataWithMediaType> parts = new LinkedHashSet<>(); // in order
        parts.add(new DataWithMediaType("data: ", MediaType.TEXT_PLAIN));
        parts.add(new DataWithMediaType(payload, type));
        parts.add(new DataWithMediaType("\n\n", MediaType.TEXT_PLAIN));
        return parts;
    }

    private void clientGone() {
        closed = true;
        generations.forEach(Generation::cancel);
    }

    private record Text(String value) {}

    private enum End {
        COMPLETE
    }
}
