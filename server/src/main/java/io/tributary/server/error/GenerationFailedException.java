package io.tributary.server.error;

import io.tributary.routing.ExpertUnavailableException;
import io.tributary.routing.decode.AllExpertsLostException;

/**
 * A generation that lost what it depends on while running: its experts became unavailable (unreachable, past
 * their deadline). TGI answers a failed generation with 424; here only this failure is one, since a refusal is
 * the client's to fix and anything else is the server's own fault.
 */
public final class GenerationFailedException extends RuntimeException {

    public GenerationFailedException(Throwable cause) {
        super(cause.getMessage(), cause);
    }

    /** Whether {@code failure}, ending a generation, is its experts': a dependency that failed, not a bug of ours. */
    public static boolean isExpertFailure(Throwable failure) {
        return failure instanceof ExpertUnavailableException || failure instanceof AllExpertsLostException;
    }
}
