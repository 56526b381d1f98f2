package io.tributary.server.config;

import java.io.IOException;

/**
 * A request body over {@code tributary.limits.max-request-bytes}, found while it is read. An {@link IOException}
 * because it interrupts reading: the JSON parser passes it on, and the API answers 413.
 */
public final class RequestTooLargeException extends IOException {

    public RequestTooLargeException(long limit) {
        super(message(limit));
    }

    static String message(long limit) {
        return "the request body exceeds " + TributaryProperties.Limits.MAX_REQUEST_BYTES + " (" + limit + " bytes)";
    }
}
