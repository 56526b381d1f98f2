package io.tributary.server.error;

import io.tributary.routing.decode.OverloadedException;
import io.tributary.routing.refusal.RequestRefusedException;
import io.tributary.server.api.openai.ModelNotFoundException;
import io.tributary.server.config.RequestTooLargeException;
import io.tributary.server.config.TributaryProperties;
import io.tributary.server.lifecycle.ServerShuttingDownException;
import io.tributary.server.metrics.GenerationMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;
import org.springframework.web.context.request.async.AsyncRequestTimeoutException;
import org.springframework.web.servlet.resource.NoResourceFoundException;
import org.springframework.web.util.DisconnectedClientHelper;
import tools.jackson.core.exc.InputCoercionException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.DatabindException;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;

/**
 * Every failure of the API becomes an error with a 4xx status when the client can fix it, a 5xx only when the
 * server is at fault: TGI's shape, or OpenAI's on {@code /v1} routes. The client's fault is declared by type (a
 * {@link RequestRefusedException}, a body that is not JSON, ...); whatever else escapes, an
 * {@link IllegalArgumentException} included, is a bug of ours: a 500 whose details go to the log, not the client.
 * Streams end with the same rule ({@link StreamedError}).
 */
@Order(Ordered.HIGHEST_PRECEDENCE) // before Spring's problem-details handler: TGI clients expect TGI's shape
@RestControllerAdvice
class ApiExceptionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ApiExceptionHandler.class);

    private final GenerationMetrics metrics;
    private final Duration requestTimeout;

    ApiExceptionHandler(GenerationMetrics metrics, TributaryProperties properties) {
        this.metrics = metrics;
        this.requestTimeout = properties.limits().requestTimeout();
    }

    /** Every kind of refusal is TGI's validation error: the message says what to change. */
    @ExceptionHandler(RequestRefusedException.class)
    ResponseEntity<Object> refused(RequestRefusedException e) {
        metrics.rejected("validation");
        return error(HttpStatus.UNPROCESSABLE_CONTENT, e.getMessage(), "validation");
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<Object> unreadable(HttpMessageNotReadableException e) {
        metrics.rejected("validation");
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof RequestTooLargeException tooLarge) {
                return error(HttpStatus.CONTENT_TOO_LARGE, tooLarge.getMessage(), "validation");
            }
        }
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof DatabindException binding) {
                // Well-formed JSON that does not fit the request: a wrong type, a number out of range. Name the field.
                return error(
                        HttpStatus.UNPROCESSABLE_CONTENT,
                        "Failed to deserialize the JSON body: " + binding.getOriginalMessage() + " at `"
                                + fieldPath(binding) + "`",
                        "validation");
            }
        }
        Throwable cause = e.getMostSpecificCause();
        if (cause instanceof InputCoercionException outOfRange) {
            String field =
                    outOfRange.processor() != null ? outOfRange.processor().currentName() : null;
            return error(
                    HttpStatus.UNPROCESSABLE_CONTENT,
                    "Failed to deserialize the JSON body: " + outOfRange.getOriginalMessage() + " at `" + field + "`",
                    "validation");
        }
        String detail = cause instanceof StreamReadException read ? read.getOriginalMessage() : "not valid JSON";
        return error(HttpStatus.BAD_REQUEST, "Failed to parse the request body as JSON: " + detail, "validation");
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ResponseEntity<Object> mediaType(HttpMediaTypeNotSupportedException e) {
        return error(
                HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                "Expected request with `Content-Type: application/json`",
                "validation");
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    ResponseEntity<Object> method(HttpRequestMethodNotSupportedException e) {
        return error(HttpStatus.METHOD_NOT_ALLOWED, e.getMessage(), "validation");
    }

    @ExceptionHandler(OverloadedException.class)
    ResponseEntity<Object> overloaded(OverloadedException e) {
        return error(
                HttpStatus.TOO_MANY_REQUESTS,
                e.getMessage() + " (the limits are "
                        + "tributary.scheduler.max-running, max-waiting and kv-cache-budget)",
                "overloaded");
    }

    @ExceptionHandler(ServerShuttingDownException.class)
    ResponseEntity<Object> shuttingDown(ServerShuttingDownException e) {
        return error(HttpStatus.SERVICE_UNAVAILABLE, e.getMessage(), "unhealthy");
    }

    @ExceptionHandler({TimeoutException.class, AsyncRequestTimeoutException.class})
    ResponseEntity<Object> timeout(Exception e) {
        return error(
                HttpStatus.GATEWAY_TIMEOUT,
                "the generation did not finish within " + TributaryProperties.Limits.REQUEST_TIMEOUT + " ("
                        + written(requestTimeout) + ")",
                "timeout");
    }

    /** A duration as the setting is written: {@code 10m}, {@code 90s}, {@code 1500ms}. */
    static String written(Duration duration) {
        long millis = duration.toMillis();
        if (millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }

    @ExceptionHandler(CancellationException.class)
    ResponseEntity<Object> cancelled(CancellationException e) {
        // Only the server cancels a request whose client is still waiting: it is shutting down.
        return error(HttpStatus.SERVICE_UNAVAILABLE, "the server is shutting down; retry", "unhealthy");
    }

    @ExceptionHandler(ModelNotFoundException.class)
    ResponseEntity<Object> modelNotFound(ModelNotFoundException e) {
        metrics.rejected("validation");
        return error(HttpStatus.NOT_FOUND, e.getMessage(), "model_not_found");
    }

    @ExceptionHandler(NoResourceFoundException.class)
    ResponseEntity<Object> noSuchRoute(NoResourceFoundException e) {
        return error(
                HttpStatus.NOT_FOUND,
                "no route " + e.getHttpMethod() + " /" + e.getResourcePath() + "; see /openapi.yaml for the API",
                "not_found");
    }

    @ExceptionHandler(GenerationFailedException.class)
    ResponseEntity<Object> generationFailed(GenerationFailedException e) {
        LOG.warn("generation failed", e.getCause());
        return error(HttpStatus.FAILED_DEPENDENCY, e.getMessage(), "generation");
    }

    /**
     * What no handler above claims is the server's fault. Spring's own refusals (an unacceptable {@code Accept},
     * ...) keep their 4xx; a client that went away gets no answer; the rest is logged with its stack trace and
     * answered as {@link ErrorResponse#INTERNAL}.
     */
    @ExceptionHandler(Exception.class)
    ResponseEntity<Object> unexpected(Exception e) {
        if (DisconnectedClientHelper.isClientDisconnectedException(e)) {
            return null;
        }
        if (e instanceof org.springframework.web.ErrorResponse spring
                && spring.getStatusCode().is4xxClientError()) {
            String detail = spring.getBody().getDetail();
            return error(
                    HttpStatus.valueOf(spring.getStatusCode().value()),
                    detail != null ? detail : e.getMessage(),
                    "validation");
        }
        LOG.error("{} failed: the server's fault, answered with 500", route(), e);
        return error(
                HttpStatus.INTERNAL_SERVER_ERROR, ErrorResponse.INTERNAL.error(), ErrorResponse.INTERNAL.errorType());
    }

    private static String fieldPath(DatabindException e) {
        StringBuilder path = new StringBuilder();
        for (var reference : e.getPath()) {
            if (reference.getPropertyName() != null) {
                path.append(path.isEmpty() ? "" : ".").append(reference.getPropertyName());
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.isEmpty() ? "$" : path.toString();
    }

    /** TGI's shape, or OpenAI's on the OpenAI-compatible routes, whose SDKs read only theirs. */
    private static ResponseEntity<Object> error(HttpStatus status, String message, String type) {
        ErrorResponse tgi = new ErrorResponse(message, type);
        if (!onOpenAiRoute()) {
            return ResponseEntity.status(status)
                    .contentType(MediaType.APPLICATION_JSON)
                    .body(tgi);
        }
        // OpenAI answers every request it cannot serve as sent with 400, where TGI says 422.
        HttpStatus openAiStatus = status == HttpStatus.UNPROCESSABLE_CONTENT ? HttpStatus.BAD_REQUEST : status;
        return ResponseEntity.status(openAiStatus)
                .contentType(MediaType.APPLICATION_JSON)
                .body(OpenAiErrorResponse.of(openAiStatus.value(), tgi));
    }

    private static boolean onOpenAiRoute() {
        return RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attributes
                && attributes.getRequest().getRequestURI().startsWith("/v1/");
    }

    private static String route() {
        return RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attributes
                ? attributes.getRequest().getMethod() + " "
                        + attributes.getRequest().getRequestURI()
                : "a request";
    }
}
