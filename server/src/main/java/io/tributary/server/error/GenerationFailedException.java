package io.tributary.server.error;

/** A generation that failed while running (an expert's error): TGI answers these with 424. */
public final class GenerationFailedException extends RuntimeException {

    public GenerationFailedException(Throwable cause) {
        super(ErrorResponse.of(cause).error(), cause);
    }
}
