package io.tributary.server.structured;

/** A format (schema, regular expression, choice) that cannot be compiled; the request is answered with a 400. */
public class ConstraintException extends RuntimeException {

    public ConstraintException(String message) {
        super(message);
    }
}
