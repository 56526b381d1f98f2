package io.tributary.routing;

/**
 * An expert could not answer: it is unreachable, missed its deadline, or lost the request's state (a remote expert
 * that restarted). Unlike a bug or bad input, this is a loss the decode loop survives: it drops the expert for the
 * request and finishes with the others.
 */
public class ExpertUnavailableException extends RuntimeException {

    private final String expert;

    public ExpertUnavailableException(String expert, String message, Throwable cause) {
        super(message, cause);
        this.expert = expert;
    }

    /** The name of the expert that was lost. */
    public String expert() {
        return expert;
    }
}
