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
 * @param startupWait    how long start-up waits for an expert server that does not answer yet
 * @param tracing        sends the trace context of the request a call is made for, and traces the call
 * @param replicaRefresh how often replicas that did not answer are tried again, and a {@code dns:///} name resolved
 *                       again
 */
public record RemoteOptions(
        Duration callTimeout,
        double compactEpsilon,
        RemoteSecurity security,
        Duration startupWait,
        GrpcTracing tracing,
        Duration replicaRefresh) {

    public static final Duration DEFAULT_REPLICA_REFRESH = Duration.ofSeconds(10);

    public static final RemoteOptions DEFAULT = new RemoteOptions(Duration.ofSeconds(60), 0);

    public RemoteOptions(Duration callTimeout, double compactEpsilon) {
        this(callTimeout, compactEpsilon, RemoteSecurity.NONE);
    }

    public RemoteOptions(Duration callTimeout, double compactEpsilon, RemoteSecurity security) {
        this(callTimeout, compactEpsilon, security, Duration.ZERO);
    }

    public RemoteOptions(Duration callTimeout, double compactEpsilon, RemoteSecurity security, Duration startupWait) {
        this(callTimeout, compactEpsilon, security, startupWait, GrpcTracing.NONE, DEFAULT_REPLICA_REFRESH);
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
        if (replicaRefresh.isNegative() || replicaRefresh.isZero()) {
            throw new IllegalArgumentException("the replica refresh must be positive, got " + replicaRefresh);
        }
        if (!(compactEpsilon >= 0 && compactEpsilon < 1)) {
            throw new IllegalArgumentException("the compact epsilon must be in [0, 1), got " + compactEpsilon);
        }
    }

    /** These options, with each call made for a traced request traced by {@code tracing}. */
    public RemoteOptions withTracing(GrpcTracing tracing) {
        return new RemoteOptions(callTimeout, compactEpsilon, security, startupWait, tracing, replicaRefresh);
    }

    /** These options, trying unreached replicas and resolving names again every {@code period}. */
    public RemoteOptions withReplicaRefresh(Duration period) {
        return new RemoteOptions(callTimeout, compactEpsilon, security, startupWait, tracing, period);
    }

    /** These options, waiting {@code wait} for an expert server that does not answer yet. */
    public RemoteOptions withStartupWait(Duration wait) {
        return new RemoteOptions(callTimeout, compactEpsilon, security, wait, tracing, replicaRefresh);
    }
}
