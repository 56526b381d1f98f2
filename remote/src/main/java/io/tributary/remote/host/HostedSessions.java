package io.tributary.remote.host;

import io.tributary.routing.ExpertSession;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;

/**
 * The sessions gateways opened here, each under a lease: a session that no step, keep-alive or close touches for
 * the lease time is closed, so a gateway that vanished (crashed, partitioned) never pins KV caches. Sessions of one
 * expert are only closed under that expert's lock, never under a forward pass.
 */
final class HostedSessions {

    /** One open session: which expert holds it, and whether its prompt's score was sent. */
    static final class Hosted {
        final long id;
        final HostedExpert owner;
        final ExpertSession session;
        final SessionTrace trace;
        volatile long touchedNanos;
        boolean scoreSent;

        Hosted(long id, HostedExpert owner, ExpertSession session, SessionTrace trace, long now) {
            this.id = id;
            this.owner = owner;
            this.session = session;
            this.trace = trace;
            this.touchedNanos = now;
        }
    }

    private final Map<Long, Hosted> sessions = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(1);
    private final long leaseNanos;
    private final LongSupplier clock;
    private final int maxSessions;
    private final AtomicInteger held = new AtomicInteger(); // reserved before a session opens, so the bound holds

    HostedSessions(Duration lease, LongSupplier clock) {
        this(lease, clock, Integer.MAX_VALUE);
    }

    HostedSessions(Duration lease, LongSupplier clock, int maxSessions) {
        this.leaseNanos = lease.toNanos();
        this.clock = clock;
        this.maxSessions = maxSessions;
    }

    /**
     * Takes a place for a session about to open.
     *
     * @return false when the server holds its most sessions already
     */
    boolean reserve() {
        while (true) {
            int now = held.get();
            if (now >= maxSessions) {
                return false;
            }
            if (held.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    /** Gives back a place taken by {@link #reserve} for a session that did not open. */
    void unreserve() {
        held.decrementAndGet();
    }

    int maxSessions() {
        return maxSessions;
    }

    Duration lease() {
        return Duration.ofNanos(leaseNanos);
    }

    /**
     * Holds {@code session}, for which a place was {@linkplain #reserve reserved}, under a new id; {@code trace}
     * makes the session's spans once it knows the id.
     */
    Hosted add(HostedExpert owner, ExpertSession session, LongFunction<SessionTrace> trace) {
        long id = nextId.getAndIncrement();
        Hosted hosted = new Hosted(id, owner, session, trace.apply(id), clock.getAsLong());
        sessions.put(hosted.id, hosted);
        return hosted;
    }

    /** The session, its lease renewed; {@code null} when it is unknown (closed, expired, never opened). */
    Hosted touch(long id) {
        Hosted hosted = sessions.get(id);
        if (hosted != null) {
            hosted.touchedNanos = clock.getAsLong();
        }
        return hosted;
    }

    /** Closes a session under its expert's lock; unknown ids are ignored. */
    void close(long id) {
        close(id, "closed");
    }

    private void close(long id, String why) {
        Hosted hosted = sessions.remove(id);
        if (hosted != null) {
            held.decrementAndGet();
            synchronized (hosted.owner) {
                hosted.session.close();
                hosted.trace.end(why);
            }
        }
    }

    /** Closes every session whose lease ran out; returns how many. */
    int expire() {
        List<Hosted> candidates = new ArrayList<>();
        sessions.values().forEach(hosted -> {
            if (clock.getAsLong() - hosted.touchedNanos > leaseNanos) {
                candidates.add(hosted);
            }
        });
        int expired = 0;
        for (Hosted hosted : candidates) {
            synchronized (hosted.owner) { // a step touches its sessions under this lock: check again here
                if (clock.getAsLong() - hosted.touchedNanos > leaseNanos && sessions.remove(hosted.id, hosted)) {
                    held.decrementAndGet();
                    hosted.session.close();
                    hosted.trace.end("expired");
                    expired++;
                }
            }
        }
        return expired;
    }

    int open() {
        return sessions.size();
    }

    void closeAll() {
        List.copyOf(sessions.keySet()).forEach(id -> close(id, "shutdown"));
    }
}
