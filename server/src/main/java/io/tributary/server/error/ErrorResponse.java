package io.tributary.server.error;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Text-generation-inference's error body, {@code {"error": "...", "error_type": "..."}}, so that existing TGI
 * clients surface our messages. Types: {@code validation} (422), {@code overloaded} (429), {@code unhealthy}
 * (503), {@code generation} (424), {@code cancelled}, {@code timeout} (504), {@code internal} (500).
 */
public record ErrorResponse(
        String error, @JsonProperty("error_type") String errorType) {

    /**
     * The body of every failure that is the server's own fault: the client can do nothing about it, and its
     * details (which may name our classes and state) stay in the server's log.
     */
    public static final ErrorResponse INTERNAL = new ErrorResponse(
            "the server failed to serve the request (an " + "internal error; the server's log has the details)",
            "internal");
}
