package io.tributary.remote.client;

import io.tributary.remote.proto.DescribeReply;
import io.tributary.routing.BatchEntry;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertBatch;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import io.tributary.routing.SessionsUnavailableException;

import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One expert served by several expert servers holding the same checkpoint (replicas). Each session lives on one
 * replica, the healthy one with the fewest open sessions. When a replica fails a call, each of its sessions moves to
 * another replica by replay: it opens there with the same prompt, is given every token appended so far, and runs them
 * as one prefill (cheaper where that replica's prefix cache holds the prompt); the answer goes on with the same
 * expert, token for token what it would have been. Only when no replica can take a session does the call fail, and
 * the decode loop drops the expert as it drops any unavailable one.
 *
 * <p>The replicas may change while the gateway runs. Addresses that did not answer at start-up are tried again every
 * refresh; with {@code dns:///name:port} the name is resolved again every refresh too, new addresses join, and
 * addresses it no longer gives are retired: they take no new sessions and are closed once their last one ends.
 */
public final class ReplicatedExpert implements Expert, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ReplicatedExpert.class.getName());
    private static final Duration SETTLE = Duration.ofSeconds(3);

    private final String name;
    private final DescribeReply description;
    private volatile List<RemoteExpert> replicas;
    private final List<RemoteExpert> retiring = new ArrayList<>();
    private final Map<String, String> unreached = new ConcurrentHashMap<>();
    private long retiredSteps;
    private long retiredWireNanos;
    private ScheduledExecutorService refresher;
    private boolean closed;

    /** @param replicas connections to expert servers of the same checkpoint, which must describe it alike */
    public ReplicatedExpert(String name, List<RemoteExpert> replicas) {
        if (replicas.isEmpty()) {
            throw new IllegalArgumentException("expert '" + name + "' needs at least one replica");
        }
        this.name = name;
        this.description = replicas.get(0).description();
        for (RemoteExpert replica : replicas) {
            requireSameCheckpoint(replica, "at " + replicas.get(0).address());
        }
        this.replicas = List.copyOf(replicas);
    }

    /**
     * Connects to every replica {@code addresses} gives, waiting up to the options' startup wait for the first to
     * answer, and starts with those that answered; the others, and with a DNS name its changes, are taken up every
     * {@code options.replicaRefresh()}.
     *
     * @throws RemoteExpertException when no replica answers, saying why each did not
     * @throws IllegalArgumentException when two replicas describe different checkpoints
     */
    public static ReplicatedExpert connect(String name, ReplicaAddresses addresses, RemoteOptions options) {
        long deadline = System.nanoTime() + options.startupWait().toNanos();
        List<String> found = resolveWaiting(name, addresses, deadline);
        Map<String, String> failures = new TreeMap<>();
        List<RemoteExpert> connected = connectAll(name, addresses, found, options, failures);
        if (connected.isEmpty()) {
            throw new RemoteExpertException(name, "no replica answered: " + failures, null);
        }
        ReplicatedExpert expert;
        try {
            expert = new ReplicatedExpert(name, connected);
        } catch (IllegalArgumentException e) {
            connected.forEach(RemoteExpert::close);
            throw e;
        }
        expert.unreached.putAll(failures);
        if (addresses.discovered() || !failures.isEmpty()) {
            expert.refreshEvery(addresses, options.withStartupWait(Duration.ZERO), options.replicaRefresh());
        }
        return expert;
    }

    /** The name's addresses, asking again until the deadline while it does not resolve (pods start in any order). */
    private static List<String> resolveWaiting(String name, ReplicaAddresses addresses, long deadline) {
        while (true) {
            try {
                return addresses.resolve();
            } catch (UnknownHostException e) {
                if (System.nanoTime() > deadline) {
                    throw new RemoteExpertException(name, addresses + " does not resolve (" + e.getMessage() + ")", e);
                }
            }
            try {
                Thread.sleep(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RemoteExpertException(name, "interrupted while resolving " + addresses, e);
            }
        }
    }

    /**
     * Connects to each address at once. Once one replica answers, the others get {@link #SETTLE} more (replicas
     * started together answer together); one that does not answer by then is left to the refresh, so that a replica
     * that is down does not hold the start-up for the whole startup wait.
     */
    private static List<RemoteExpert> connectAll(
            String name,
            ReplicaAddresses addresses,
            List<String> found,
            RemoteOptions options,
            Map<String, String> failures) {
        ExecutorService connecting = Executors.newFixedThreadPool(found.size(), work -> {
            Thread thread = new Thread(work, "tributary-remote-connect-" + name);
            thread.setDaemon(true);
            return thread;
        });
        CompletionService<RemoteExpert> done = new ExecutorCompletionService<>(connecting);
        Map<Future<RemoteExpert>, String> attempts = new LinkedHashMap<>();
        for (String address : found) {
            attempts.put(
                    done.submit(() -> RemoteExpert.connect(name, address, addresses.authority(), options)), address);
        }
        List<RemoteExpert> connected = new ArrayList<>();
        Set<Future<RemoteExpert>> taken = new HashSet<>();
        try {
            long settleBy = Long.MAX_VALUE;
            while (taken.size() < attempts.size()) {
                Future<RemoteExpert> attempt = connected.isEmpty()
                        ? done.take()
                        : done.poll(Math.max(0, settleBy - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (attempt == null) {
                    break;
                }
                taken.add(attempt);
                take(attempt, attempts.get(attempt), connected, failures);
                if (!connected.isEmpty()) {
                    settleBy = Math.min(settleBy, System.nanoTime() + SETTLE.toNanos());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (var attempt : attempts.entrySet()) {
                if (attempt.getKey().cancel(true)) {
                    failures.put(attempt.getValue(), "did not answer during start-up");
                } else if (!taken.contains(attempt.getKey())) {
                    take(attempt.getKey(), attempt.getValue(), connected, failures); // finished as it was given up
                }
            }
            connecting.shutdownNow();
        }
        connected.sort(Comparator.comparingInt(replica -> found.indexOf(replica.address()))); // ties go to the first
        return connected;
    }

    /** Adds a finished attempt's replica to {@code connected}, or why it failed to {@code failures}. */
    private static void take(
            Future<RemoteExpert> attempt, String address, List<RemoteExpert> connected, Map<String, String> failures) {
        try {
            connected.add(attempt.get());
        } catch (ExecutionException e) {
            failures.put(address, e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failures.put(address, "interrupted");
        }
    }

    private void refreshEvery(ReplicaAddresses addresses, RemoteOptions options, Duration period) {
        refresher = Executors.newSingleThreadScheduledExecutor(work -> {
            Thread thread = new Thread(work, "tributary-remote-replicas-" + name);
            thread.setDaemon(true);
            return thread;
        });
        Function<String, RemoteExpert> connect =
                address -> RemoteExpert.connect(name, address, addresses.authority(), options);
        refresher.scheduleWithFixedDelay(
                () -> {
                    try {
                        refresh(addresses, connect);
                    } catch (RuntimeException e) { // a failed refresh must not end the ones after it
                        LOG.log(
                                System.Logger.Level.WARNING,
                                "expert '" + name + "': refreshing its replicas failed",
                                e);
                    }
                },
                period.toMillis(),
                period.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * Brings the replicas in line with {@code addresses}: connects those not yet connected, retires those it no
     * longer gives, and closes retired ones whose sessions have all ended. A name that does not resolve changes
     * nothing: the replicas already known fail or serve on their own.
     */
    void refresh(ReplicaAddresses addresses, Function<String, RemoteExpert> connect) {
        List<String> wanted;
        try {
            wanted = addresses.resolve();
        } catch (UnknownHostException e) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "expert '" + name + "': " + addresses + " does not resolve (" + e.getMessage() + "); keeping its "
                            + replicas.size() + " known replicas");
            closeIdleRetired();
            return;
        }
        List<String> joining = new ArrayList<>();
        synchronized (this) {
            List<RemoteExpert> next = new ArrayList<>();
            for (RemoteExpert replica : replicas) {
                if (wanted.contains(replica.address())) {
                    next.add(replica);
                } else {
                    retiring.add(replica);
                    LOG.log(
                            System.Logger.Level.INFO,
                            "expert '" + name + "': retiring replica " + replica.address() + " (" + addresses
                                    + " no longer gives it); its open sessions finish there");
                }
            }
            for (String address : wanted) {
                if (next.stream().anyMatch(replica -> replica.address().equals(address))) {
                    continue;
                }
                RemoteExpert back = retiring.stream()
                        .filter(replica -> replica.address().equals(address))
                        .findFirst()
                        .orElse(null);
                if (back != null) {
                    retiring.remove(back);
                    next.add(back);
                } else {
                    joining.add(address);
                }
            }
            replicas = List.copyOf(next);
            unreached.keySet().retainAll(joining);
        }
        for (String address : joining) { // unlocked: a connection may take the whole call timeout
            try {
                RemoteExpert joined = connect.apply(address);
                try {
                    requireSameCheckpoint(joined, "known");
                } catch (IllegalArgumentException e) {
                    joined.close();
                    throw new RemoteExpertException(name, e.getMessage(), e);
                }
                join(joined);
                unreached.remove(address);
                LOG.log(System.Logger.Level.INFO, "expert '" + name + "': replica " + address + " joined");
            } catch (RemoteExpertException e) {
                unreached.put(address, e.getMessage());
            }
        }
        closeIdleRetired();
    }

    private synchronized void join(RemoteExpert replica) {
        if (closed) {
            replica.close();
            return;
        }
        List<RemoteExpert> next = new ArrayList<>(replicas);
        next.add(replica);
        replicas = List.copyOf(next);
    }

    private synchronized void closeIdleRetired() {
        for (var it = retiring.iterator(); it.hasNext(); ) {
            RemoteExpert replica = it.next();
            if (replica.openSessions() == 0) {
                retiredSteps += replica.steps();
                retiredWireNanos += replica.wireNanos();
                replica.close();
                it.remove();
            }
        }
    }

    /** @param others which replicas {@code replica} is compared with, as the message names them */
    private void requireSameCheckpoint(RemoteExpert replica, String others) {
        if (!withoutLease(replica.description()).equals(withoutLease(description))) {
            throw new IllegalArgumentException("the replicas of expert '" + name + "' " + others + " and at "
                    + replica.address() + " serve different checkpoints (sizes, special tokens or tokenizer files"
                    + " differ)");
        }
    }

    private static DescribeReply withoutLease(DescribeReply description) {
        return description.toBuilder().clearSessionLeaseMillis().build();
    }

    /** The replicas that take sessions now. */
    public List<RemoteExpert> replicas() {
        return replicas;
    }

    /** Addresses of replicas that did not answer when last tried, and why. */
    public Map<String, String> unreached() {
        return Map.copyOf(unreached);
    }

    /** What the expert's servers say about it (the first replica's answer; every replica's is the same). */
    public DescribeReply description() {
        return description;
    }

    /** Steps answered so far, by every replica this expert has had. */
    public synchronized long steps() {
        return retiredSteps
                + replicas.stream().mapToLong(RemoteExpert::steps).sum()
                + retiring.stream().mapToLong(RemoteExpert::steps).sum();
    }

    /** Time those steps spent on the wire (see {@link RemoteExpert#wireNanos()}). */
    public synchronized long wireNanos() {
        return retiredWireNanos
                + replicas.stream().mapToLong(RemoteExpert::wireNanos).sum()
                + retiring.stream().mapToLong(RemoteExpert::wireNanos).sum();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int vocabularySize() {
        return description.getVocabularySize();
    }

    @Override
    public int maxSequenceLength() {
        return description.getMaxSequenceLength();
    }

    @Override
    public long kvBytesPerPosition() {
        return description.getKvBytesPerPosition();
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
        throw last != null ? last : new RemoteExpertException(name, "has no replica", null);
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
        return replicas().stream()
                .sorted(Comparator.comparing((RemoteExpert replica) -> excluded.contains(replica))
                        .thenComparing(replica -> !replica.available())
                        .thenComparingInt(RemoteExpert::openSessions))
                .filter(replica -> !excluded.contains(replica))
                .toList();
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (refresher != null) {
            refresher.shutdownNow();
        }
        replicas.forEach(RemoteExpert::close);
        retiring.forEach(RemoteExpert::close);
    }

    @Override
    public String toString() {
        return "ReplicatedExpert[" + name + ", "
                + replicas.stream().map(RemoteExpert::address).toList() + "]";
    }
}
