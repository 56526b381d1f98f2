package io.tributary.remote.client;

import io.tributary.remote.security.RemoteSecurity;
import io.tributary.remote.tracing.GrpcTracing;

import java.time.Duration;

/**
 * How a gateway talks to its remote experts.
 *
 * @param callTimeout    the deadline of one call (a step, an open); an expert that misses it counts as failed
 * @param compactEpsilon 0: exact distributions on the wire; above 0, the probability mass each expert's compact
 *                       distribution may leave to a uniform tail (the mixed distribution then differs from the exact
 *                       one by a total variation of at most this much)
 * @param tracing        sends the trace context of the request a call is made for, and traces the call
 */
public record RemoteOptions(
        Duration callTimeout,
        double compactEpsilon,
        RemoteSecurity security,
        Duration startupWait,
        GrpcTracing tracing) {

    public static final RemoteOptions DEFAULT = new RemoteOptions(Duration.ofSeconds(60), 0);

    public RemoteOptions(Duration callTimeout, double compactEpsilon) {
        this(callTimeout, compactEpsilon, RemoteSecurity.NONE);
    }

    public RemoteOptions(Duration callTimeout, double compactEpsilon, RemoteSecurity security) {
        this(callTimeout, compactEpsilon, security, Duration.ZERO);
    }

    public RemoteOptions(Duration callTimeout, double compactEpsilon, RemoteSecurity security, Duration startupWait) {
        this(callTimeout, compactEpsilon, security, startupWait, GrpcTracing.NONE);
    }

    public RemoteOptions {
        java.util.Objects.requireNonNull(security, "security");
        java.util.Objects.requireNonNull(tracing, "tracing");
        if (startupWait.isNegative()) {
            throw new IllegalArgumentException("the startup wait must not be negative, got " + startupWait);
        }
        if (callTimeout.isNegative() || callTimeout.isZero()) {
            throw new IllegalArgumentException("the call timeout must be positive, got " + callTimeout);
        }
        if (!(compactEpsilon >= 0 && compactEpsilon < 1)) {
            throw new IllegalArgumentException("the compact epsilon must be in [0, 1), got " + compactEpsilon);
        }
    }

    /** These options, with each call made for a traced request traced by {@code tracing}. */
    public RemoteOptions withTracing(GrpcTracing tracing) {
        return new RemoteOptions(callTimeout, compactEpsilon, security, startupWait, tracing);
    }
}
