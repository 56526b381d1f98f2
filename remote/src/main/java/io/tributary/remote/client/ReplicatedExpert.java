package io.tributary.remote.client;

import io.tributary.routing.BatchEntry;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertBatch;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import io.tributary.routing.SessionsUnavailableException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One expert served by several expert servers holding the same checkpoint (replicas). Each session lives on one
 * replica, the healthy one with the fewest open sessions. When a replica fails a call, each of its sessions moves to
 * another replica by replay: it opens there with the same prompt, is given every token appended so far, and runs them
 * as one prefill (cheaper where that replica's prefix cache holds the prompt); the answer goes on with the same
 * expert, token for token what it would have been. Only when no replica can take a session does the call fail, and
 * the decode loop drops the expert as it drops any unavailable one.
 */
public final class ReplicatedExpert implements Expert, AutoCloseable {

    private final String name;
    private final List<RemoteExpert> replicas;

    /** @param replicas connections to expert servers of the same checkpoint, which must describe it alike */
    public ReplicatedExpert(String name, List<RemoteExpert> replicas) {
        if (replicas.isEmpty()) {
            throw new IllegalArgumentException("expert '" + name + "' needs at least one replica");
        }
        this.name = name;
        this.replicas = List.copyOf(replicas);
        RemoteExpert first = this.replicas.get(0);
        for (RemoteExpert replica : this.replicas) {
            if (!replica.description().toBuilder()
                    .clearSessionLeaseMillis()
                    .build()
                    .equals(first.description().toBuilder()
                            .clearSessionLeaseMillis()
                            .build())) {
                throw new IllegalArgumentException("the replicas of expert '" + name + "' at " + first.address()
                        + " and " + replica.address() + " serve different checkpoints (sizes, special tokens or"
                        + " tokenizer files differ)");
            }
        }
    }

    public List<RemoteExpert> replicas() {
        return replicas;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int vocabularySize() {
        return replicas.get(0).vocabularySize();
    }

    @Override
    public int maxSequenceLength() {
        return replicas.get(0).maxSequenceLength();
    }

    @Override
    public long kvBytesPerPosition() {
        return replicas.get(0).kvBytesPerPosition();
    }

    @Override
    public int promptPositions(Prompt prompt) {
        RemoteExpertException last = null;
        for (RemoteExpert replica : byPreference(Set.of())) {
            try {
                return replica.promptPositions(prompt);
            } catch (RemoteExpertException e) {
                last = e;
            }
        }
        throw last;
    }

    @Override
    public ExpertSession open(Prompt prompt) {
        ReplicaSession session = new ReplicaSession(this, prompt);
        session.moveTo(Set.of(), null);
        return session;
    }

    /**
     * One pass per replica over the sessions it holds. A replica that fails moves its sessions to others, which then
     * have their replay pending: they are not answered in this pass, the next ones run it.
     *
     * @throws SessionsUnavailableException naming the sessions of a failed replica that no other replica took; the
     *         others stand
     */
    @Override
    public void forward(ExpertBatch batch) {
        Map<RemoteExpert, List<BatchEntry>> byReplica = new LinkedHashMap<>();
        Map<RemoteExpert, List<ReplicaSession>> owners = new LinkedHashMap<>();
        for (BatchEntry entry : batch.entries()) {
            if (!(entry.session() instanceof ReplicaSession session) || session.owner() != this) {
                throw new IllegalArgumentException("a batch entry's session is not a session of expert '" + name + "'");
            }
            RemoteExpert replica = session.replica();
            byReplica
                    .computeIfAbsent(replica, r -> new ArrayList<>())
                    .add(new BatchEntry(session.current(), entry.positions(), entry.scorePrompt()));
            owners.computeIfAbsent(replica, r -> new ArrayList<>()).add(session);
        }
        Set<ExpertSession> stranded = new HashSet<>();
        RemoteExpertException last = null;
        for (var group : byReplica.entrySet()) {
            try {
                group.getKey().forward(new ExpertBatch(group.getValue()));
            } catch (RemoteExpertException failure) {
                for (ReplicaSession session : owners.get(group.getKey())) {
                    try {
                        session.moveTo(Set.of(group.getKey()), failure);
                    } catch (RemoteExpertException noneLeft) {
                        stranded.add(session);
                        last = noneLeft;
                    }
                }
            }
        }
        if (!stranded.isEmpty()) {
            throw new SessionsUnavailableException(name, last.getMessage(), last, stranded);
        }
    }

    /** Replicas to try, healthy ones first and the least loaded first among them; {@code excluded} last. */
    List<RemoteExpert> byPreference(Set<RemoteExpert> excluded) {
        return replicas.stream()
                .sorted(Comparator.comparing((RemoteExpert replica) -> excluded.contains(replica))
                        .thenComparing(replica -> !replica.available())
                        .thenComparingInt(RemoteExpert::openSessions))
                .filter(replica -> !excluded.contains(replica))
                .toList();
    }

    @Override
    public void close() {
        replicas.forEach(RemoteExpert::close);
    }

    @Override
    public String toString() {
        return "ReplicatedExpert[" + name + ", "
                + replicas.stream().map(RemoteExpert::address).toList() + "]";
    }
}
