package io.tributary.remote.client;

/** A remote expert failed a call: unreachable, too slow for its deadline, or broken. */
public final class RemoteExpertException extends RuntimeException {

    private final String expert;

    public RemoteExpertException(String expert, String message, Throwable cause) {
        super("remote expert '" + expert + "': " + message, cause);
        this.expert = expert;
    }

    public String expert() {
        return expert;
    }
}
