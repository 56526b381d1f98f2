package io.tributary.remote.client;

import io.tributary.routing.ExpertUnavailableException;

/**
 * A remote expert failed a call: unreachable, too slow for its deadline, or it lost the session (restarted). The
 * decode loop drops such an expert for the request and finishes with the others.
 */
public final class RemoteExpertException extends ExpertUnavailableException {

    public RemoteExpertException(String expert, String message, Throwable cause) {
        super(expert, "remote expert '" + expert + "': " + message, cause);
    }
}
