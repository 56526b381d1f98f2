package io.tributary.server.serving;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * A JSON answer that arrives later, as a {@link ResponseBodyEmitter}: routes whose body chooses between a stream and
 * one JSON answer ({@code "stream": true}) must declare one return type, and both are emitters. A failure before
 * the answer goes through the exception handlers, like a failure of any other route.
 */
public final class AsyncJson {

    private AsyncJson() {}

    public static <T> ResponseEntity<ResponseBodyEmitter> emitter(
            CompletableFuture<T> answer, Function<T, ?> body, Duration timeout) {
        ResponseBodyEmitter emitter = new ResponseBodyEmitter(timeout.toMillis());
        answer.whenComplete((value, failure) -> {
            if (failure != null) {
                emitter.completeWithError(
                        failure instanceof CompletionException && failure.getCause() != null
                                ? failure.getCause()
                                : failure);
                return;
            }
            try {
                emitter.send(body.apply(value), MediaType.APPLICATION_JSON);
                emitter.complete();
            } catch (IOException | RuntimeException e) {
                emitter.completeWithError(e);
            }
        });
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(emitter);
    }

    /** A stream of server-sent events, as a route that may also answer with {@link #emitter} returns it. */
    public static ResponseEntity<ResponseBodyEmitter> events(ResponseBodyEmitter events) {
        return ResponseEntity.ok().contentType(MediaType.TEXT_EVENT_STREAM).body(events);
    }
}
