package io.tributary.routing;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * A batched pass lost some of its sessions only: an expert with replicas moved the others elsewhere, or ran them.
 * The requests of exactly these sessions go on without the expert; the rest of the pass stands.
 */
public class SessionsUnavailableException extends ExpertUnavailableException {

    private final Set<ExpertSession> sessions;

    public SessionsUnavailableException(String expert, String message, Throwable cause, Set<ExpertSession> sessions) {
        super(expert, message, cause);
        Set<ExpertSession> lost = Collections.newSetFromMap(new IdentityHashMap<>());
        lost.addAll(sessions);
        this.sessions = Collections.unmodifiableSet(lost);
    }

    /** Whether {@code session} is one of those lost. */
    public boolean lost(ExpertSession session) {
        return sessions.contains(session);
    }
}
