package io.tributary.server.serving;

/** A request that cannot be served as sent; answered with 422 and the message. */
public final class RequestValidationException extends RuntimeException {

    public RequestValidationException(String message) {
        super(message);
    }
}
