package io.tributary.server.serving;

import io.tributary.routing.refusal.RequestRefusedException;

/**
 * The server's own kind of refusal: a field of the request, in either dialect, that cannot be served as sent (a
 * sampling parameter out of range, a limit passed, an image the server will not fetch). The translators check
 * these on the HTTP thread, before anything is queued, and name the field.
 */
public final class RequestValidationException extends RequestRefusedException {

    public RequestValidationException(String message) {
        super(message);
    }

    /** A refusal of one field, named as the client wrote it: {@code `field` problem}. */
    public static RequestValidationException ofField(String field, String problem) {
        return new RequestValidationException("`" + field + "` " + problem);
    }

    /** @param cause the engine's refusal this one names the field of */
    public RequestValidationException(String message, RequestRefusedException cause) {
        super(message, cause);
    }
}
