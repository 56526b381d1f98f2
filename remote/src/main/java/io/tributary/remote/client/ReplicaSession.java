package io.tributary.remote.client;

import io.tributary.routing.ExpertBatch;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A session of a {@link ReplicatedExpert}: the session on its current replica, and what it takes to open it again
 * elsewhere (the prompt and every token appended since).
 */
final class ReplicaSession implements ExpertSession {

    private final ReplicatedExpert owner;
    private final Prompt prompt;
    private int[] appended = new int[16];
    private int appendedCount;
    private RemoteSession current;
    private final List<String> failovers = new ArrayList<>();
    private boolean closed;

    ReplicaSession(ReplicatedExpert owner, Prompt prompt) {
        this.owner = owner;
        this.prompt = prompt;
    }

    ReplicatedExpert owner() {
        return owner;
    }

    RemoteSession current() {
        return current;
    }

    RemoteExpert replica() {
        return current.expert();
    }

    /**
     * Opens this session on the best replica not in {@code excluded}, replaying what it has seen; the session it
     * leaves is closed (its server frees it when it is back, or its lease does).
     *
     * @param failure why the current replica is left; null for the first open
     * @throws RemoteExpertException when no replica takes it
     */
    void moveTo(Set<RemoteExpert> excluded, RemoteExpertException failure) {
        Set<RemoteExpert> tried = new HashSet<>(excluded);
        RemoteExpertException last = failure;
        for (RemoteExpert replica : owner.byPreference(excluded)) {
            tried.add(replica);
            try {
                RemoteSession replayed = (RemoteSession) replica.open(prompt);
                for (int i = 0; i < appendedCount; i++) {
                    replayed.append(appended[i]);
                }
                if (current != null) {
                    failovers.add(current.expert().address() + " failed after " + appendedCount + " tokens ("
                            + failure.getMessage() + "); replayed on " + replica.address());
                    current.close();
                }
                current = replayed;
                return;
            } catch (RemoteExpertException e) {
                last = e;
            }
        }
        if (current != null) {
            current.close();
        }
        throw new RemoteExpertException(
                owner.name(),
                "no replica left of " + tried.size() + (last == null ? "" : "; the last failure: " + last.getMessage()),
                last);
    }

    @Override
    public int pendingPositions() {
        return current.pendingPositions();
    }

    @Override
    public int cachedPromptPositions() {
        return current.cachedPromptPositions();
    }

    @Override
    public float[] nextLogProbs() {
        requireOpen();
        while (current.pendingPositions() > 0) { // a failover in the pass leaves the replay pending
            owner.forward(ExpertBatch.of(this, current.pendingPositions(), false));
        }
        return current.nextLogProbs();
    }

    @Override
    public void append(int tokenId) {
        requireOpen();
        if (appendedCount == appended.length) {
            appended = Arrays.copyOf(appended, appended.length * 2);
        }
        appended[appendedCount++] = tokenId;
        current.append(tokenId);
    }

    @Override
    public double promptLogLikelihood() {
        scorePrompt();
        return current.promptLogLikelihood();
    }

    @Override
    public float[] promptTokenLogProbs() {
        scorePrompt();
        return current.promptTokenLogProbs();
    }

    private void scorePrompt() {
        requireOpen();
        while (appendedCount == 0 && current.pendingPositions() > 0) {
            owner.forward(ExpertBatch.of(this, current.pendingPositions(), true));
        }
    }

    /** A view, not a copy: the decode loop asks every step. */
    @Override
    public List<String> failovers() {
        return Collections.unmodifiableList(failovers);
    }

    @Override
    public int length() {
        return current.length();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            current.close();
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("session closed");
        }
    }
}
