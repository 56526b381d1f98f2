package io.tributary.model.image;

import io.tributary.routing.refusal.ImageRefusedException;

/**
 * An image over one of the {@link ImageLimits}: which limit, the image's value and the limit's. Its message can be
 * shown to the client; a server may name its own setting for the limit instead.
 */
public final class ImageTooLargeException extends ImageRefusedException {

    /** Which of the limits the image is over. */
    public enum Limit {
        ENCODED_BYTES,
        PIXELS
    }

    private final Limit limit;
    private final long actual;
    private final long maximum;

    ImageTooLargeException(Limit limit, long actual, long maximum, String message) {
        super(message);
        this.limit = limit;
        this.actual = actual;
        this.maximum = maximum;
    }

    public Limit limit() {
        return limit;
    }

    /** The image's size in the limit's unit: bytes of the file, or width x height. */
    public long actual() {
        return actual;
    }

    public long maximum() {
        return maximum;
    }
}
