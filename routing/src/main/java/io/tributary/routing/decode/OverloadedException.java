package io.tributary.routing.decode;

/** The scheduler's queue is full: the request is refused now rather than left to wait without bound. */
public final class OverloadedException extends RuntimeException {

    public OverloadedException(String message) {
        super(message);
    }
}
