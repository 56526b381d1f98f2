package io.tributary.server.error;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.concurrent.CancellationException;

/**
 * Text-generation-inference's error body, {@code {"error": "...", "error_type": "..."}}, so that existing TGI
 * clients surface our messages. Types: {@code validation} (422), {@code overloaded} (429), {@code unhealthy}
 * (503), {@code generation} (424), {@code cancelled}, {@code timeout} (504).
 */
public record ErrorResponse(String error, @JsonProperty("error_type") String errorType) {

    /** The body for a failure that happened while generating. */
    public static ErrorResponse of(Throwable failure) {
        if (failure instanceof CancellationException) {
            return new ErrorResponse("the generation was cancelled", "cancelled");
        }
        String message = failure.getMessage() != null ? failure.getMessage() : failure.getClass().getSimpleName();
        return new ErrorResponse(message, "generation");
    }
}
