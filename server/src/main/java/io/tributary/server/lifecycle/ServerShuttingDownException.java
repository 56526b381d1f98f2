package io.tributary.server.lifecycle;

/** A new generation asked for while the server drains before shutting down: answered with 503, to retry elsewhere. */
public final class ServerShuttingDownException extends RuntimeException {

    public ServerShuttingDownException() {
        super("the server is shutting down and takes no new requests; retry on another instance");
    }
}
