package io.tributary.remote.client;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.tributary.remote.proto.CloseReply;
import io.tributary.remote.proto.CloseRequest;
import io.tributary.remote.proto.CountPositionsRequest;
import io.tributary.remote.proto.DescribeReply;
import io.tributary.remote.proto.DescribeRequest;
import io.tributary.remote.proto.ExpertServiceGrpc;
import io.tributary.remote.proto.Image;
import io.tributary.remote.proto.KeepAliveRequest;
import io.tributary.remote.proto.OpenReply;
import io.tributary.remote.proto.OpenRequest;
import io.tributary.remote.proto.StepEntry;
import io.tributary.remote.proto.StepReply;
import io.tributary.remote.proto.StepRequest;
import io.tributary.remote.security.BearerTokens;
import io.tributary.routing.BatchEntry;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertBatch;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * An expert served by another process, reached over gRPC: to the router, the scheduler and the mixer just another
 * {@link Expert}. A batched {@link #forward} is one {@code Step} call carrying every session's new tokens; the
 * distributions it returns are kept in the sessions. Open sessions are renewed in the background, so the expert
 * keeps them while this gateway lives and frees them soon after it does not.
 */
public final class RemoteExpert implements Expert {

    /** A step of 64 sessions of a 151,674-token vocabulary, exact, is about 39 MB. */
    static final int MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

    private final String name;
    private final String address;
    private final ManagedChannel channel;
    private final boolean ownsChannel;
    private final RemoteOptions options;
    private final DescribeReply description;
    private final Set<RemoteSession> open = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService keepAlive;
    private final AtomicLong bytesReceived = new AtomicLong();
    private final AtomicLong steps = new AtomicLong();
    private final AtomicLong wireNanos = new AtomicLong();
    private final AtomicLong busySteps = new AtomicLong();
    private volatile String unavailable; // why the last call failed; null while calls succeed

    private RemoteExpert(
            String name, String address, ManagedChannel channel, boolean ownsChannel, RemoteOptions options) {
        this.name = name;
        this.address = address;
        this.channel = channel;
        this.ownsChannel = ownsChannel;
        this.options = options;
        this.description = call("describe", () -> describeWaitingForStart(options));
        this.keepAlive = Executors.newSingleThreadScheduledExecutor(work -> {
            Thread thread = new Thread(work, "tributary-remote-keepalive-" + name);
            thread.setDaemon(true);
            return thread;
        });
        long period = Math.max(1, description.getSessionLeaseMillis() / 3);
        keepAlive.scheduleWithFixedDelay(this::renewLeases, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * Connects to expert {@code name} at {@code address} ({@code host:port}), over TLS when the options' security
     * says so.
     *
     * @throws RemoteExpertException when the expert cannot be reached or does not host {@code name}
     */
    public static RemoteExpert connect(String name, String address, RemoteOptions options) {
        return connect(name, address, Optional.empty(), options);
    }

    /**
     * Connects to expert {@code name} at {@code address}, a resolved address of {@code authority} when that is given:
     * calls then name the authority, and TLS checks the expert's certificate against it.
     */
    static RemoteExpert connect(String name, String address, Optional<String> authority, RemoteOptions options) {
        NettyChannelBuilder builder = NettyChannelBuilder.forTarget(
                        address, options.security().credentials())
                .maxInboundMessageSize(MAX_MESSAGE_BYTES);
        authority.ifPresent(builder::overrideAuthority);
        if (options.security().token() != null) {
            builder.intercept(BearerTokens.sending(options.security().token()));
        }
        ManagedChannel channel = builder.build();
        return connect(name, address, channel, true, options);
    }

    /**
     * Connects to expert {@code name} over {@code channel} and asks what it is.
     *
     * @param ownsChannel whether closing this expert shuts the channel down
     * @throws RemoteExpertException when the expert cannot be reached or does not host {@code name}
     */
    public static RemoteExpert connect(
            String name, String address, ManagedChannel channel, boolean ownsChannel, RemoteOptions options) {
        try {
            return new RemoteExpert(name, address, channel, ownsChannel, options);
        } catch (RuntimeException e) {
            if (ownsChannel) {
                channel.shutdownNow();
            }
            throw e;
        }
    }

    /** What the expert said about itself: placeholder, end-of-sequence ids, tokenizer files. */
    public DescribeReply description() {
        return description;
    }

    public String address() {
        return address;
    }

    /** Whether the last call to this expert server succeeded (or none was made since it was checked). */
    public boolean available() {
        return unavailable == null;
    }

    /** Sessions this gateway holds open on the expert server. */
    public int openSessions() {
        return open.size();
    }

    /** Bytes of step replies received so far (serialized size), to measure the wire. */
    public long stepBytesReceived() {
        return bytesReceived.get();
    }

    /** Steps answered so far. */
    public long steps() {
        return steps.get();
    }

    /**
     * Time the answered steps spent outside the expert server, summed: each round trip less the time the server says
     * it spent on the step. The network, both sides' gRPC and (de)serialisation.
     */
    public long wireNanos() {
        return wireNanos.get();
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
        if (prompt.images().isEmpty()) {
            return prompt.length(); // only images expand
        }
        return call(
                        "count positions",
                        () -> blocking()
                                .countPositions(CountPositionsRequest.newBuilder()
                                        .setExpert(name)
                                        .addAllTokenIds(ids(prompt))
                                        .addAllImages(images(prompt))
                                        .build()))
                .getPositions();
    }

    @Override
    public ExpertSession open(Prompt prompt) {
        OpenReply reply = call(
                "open",
                () -> blocking()
                        .open(OpenRequest.newBuilder()
                                .setExpert(name)
                                .addAllTokenIds(ids(prompt))
                                .addAllImages(images(prompt))
                                .build()));
        int length = reply.getPendingPositions() > 0 ? reply.getPendingPositions() : prompt.length();
        RemoteSession session = new RemoteSession(this, reply.getSessionId(), length, reply.getPendingPositions());
        open.add(session);
        return session;
    }

    @Override
    public void forward(ExpertBatch batch) {
        StepRequest.Builder request =
                StepRequest.newBuilder().setExpert(name).setCompactEpsilon((float) options.compactEpsilon());
        RemoteSession[] sessions = new RemoteSession[batch.entries().size()];
        for (int i = 0; i < sessions.length; i++) {
            BatchEntry entry = batch.entries().get(i);
            if (!(entry.session() instanceof RemoteSession session) || session.expert() != this || session.isClosed()) {
                throw new IllegalArgumentException(
                        "a batch entry's session is not an open session of remote expert '" + name + "'");
            }
            if (entry.positions() > session.pendingPositions()) {
                throw new IllegalArgumentException("entry asks for " + entry.positions() + " positions but its "
                        + "session has " + session.pendingPositions() + " pending");
            }
            sessions[i] = session;
            StepEntry.Builder step = StepEntry.newBuilder()
                    .setSessionId(session.id())
                    .setPositions(entry.positions())
                    .setScorePrompt(entry.scorePrompt());
            for (int token : session.appendedTokens()) {
                step.addAppendedTokens(token);
            }
            request.addEntries(step);
        }
        long sent = System.nanoTime();
        StepReply reply = call("step", () -> stepWhenAdmitted(request.build()));
        wireNanos.addAndGet(Math.max(0, System.nanoTime() - sent - reply.getHostNanos()));
        steps.incrementAndGet();
        bytesReceived.addAndGet(reply.getSerializedSize());
        if (reply.getResultsCount() != sessions.length) {
            throw new RemoteExpertException(
                    name,
                    "answered " + reply.getResultsCount() + " of " + sessions.length + " sessions of a step",
                    null);
        }
        for (int i = 0; i < sessions.length; i++) {
            sessions[i].stepped(reply.getResults(i), vocabularySize());
        }
    }

    /**
     * Sends a step; one the expert server refused as too busy ({@code RESOURCE_EXHAUSTED}: it touched no session) is
     * sent again after a pause that doubles up to 100 ms, until the call timeout would pass.
     */
    private StepReply stepWhenAdmitted(StepRequest request) {
        long deadline = System.nanoTime() + options.callTimeout().toNanos();
        long pauseMillis = 2;
        while (true) {
            try {
                return blocking().step(request);
            } catch (StatusRuntimeException e) {
                boolean busy = e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED;
                if (!busy || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pauseMillis) > deadline) {
                    throw e;
                }
                busySteps.incrementAndGet();
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                pauseMillis = Math.min(pauseMillis * 2, 100);
            }
        }
    }

    /** Steps the expert server refused as too busy and that were sent again. */
    public long busySteps() {
        return busySteps.get();
    }

    /** Forgets a closed session and tells the expert, without waiting: the lease frees it if the call is lost. */
    void release(RemoteSession session) {
        open.remove(session);
        ExpertServiceGrpc.newStub(channel)
                .withDeadlineAfter(options.callTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .close(CloseRequest.newBuilder().addSessionIds(session.id()).build(), IGNORE);
    }

    private void renewLeases() {
        if (open.isEmpty()) {
            return;
        }
        KeepAliveRequest.Builder request = KeepAliveRequest.newBuilder();
        open.forEach(session -> request.addSessionIds(session.id()));
        try {
            blocking().keepAlive(request.build());
        } catch (StatusRuntimeException e) {
            // The next step reports the failure to the request it belongs to; renewal just tries again.
        }
    }

    /** Describe, waiting up to the startup wait for an expert whose server is not up yet. */
    private DescribeReply describeWaitingForStart(RemoteOptions options) {
        ExpertServiceGrpc.ExpertServiceBlockingStub stub = blocking();
        if (options.startupWait().compareTo(options.callTimeout()) > 0) {
            stub = ExpertServiceGrpc.newBlockingStub(channel)
                    .withWaitForReady()
                    .withDeadlineAfter(options.startupWait().toMillis(), TimeUnit.MILLISECONDS);
        }
        return stub.describe(DescribeRequest.newBuilder().setExpert(name).build());
    }

    private ExpertServiceGrpc.ExpertServiceBlockingStub blocking() {
        return ExpertServiceGrpc.newBlockingStub(channel)
                .withInterceptors(options.tracing().client())
                .withDeadlineAfter(options.callTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Asks the expert's gRPC health service whether it serves (a quick call; the channel reconnects by itself once
     * an expert that went away is back).
     *
     * @return empty when the expert serves, otherwise why it does not
     */
    public Optional<String> checkAvailable() {
        try {
            HealthCheckResponse.ServingStatus status = call(
                            "health check",
                            () -> HealthGrpc.newBlockingStub(channel)
                                    .withDeadlineAfter(
                                            Math.min(
                                                    2_000, options.callTimeout().toMillis()),
                                            TimeUnit.MILLISECONDS)
                                    .check(HealthCheckRequest.newBuilder()
                                            .setService(name)
                                            .build()))
                    .getStatus();
            if (status != HealthCheckResponse.ServingStatus.SERVING) {
                unavailable = "its health is " + status;
            }
        } catch (RemoteExpertException | RemoteRefusedException e) {
            // unavailable holds the reason
        }
        return Optional.ofNullable(unavailable);
    }

    /** Runs a call; a request the host refused stays the client's mistake, anything else is the expert's failure. */
    private <T> T call(String what, Supplier<T> rpc) {
        try {
            T answer = rpc.get();
            unavailable = null;
            return answer;
        } catch (StatusRuntimeException e) {
            Status status = e.getStatus();
            if (status.getCode() == Status.Code.INVALID_ARGUMENT) {
                throw new RemoteRefusedException(status.getDescription(), e);
            }
            String reason = status.getCode() == Status.Code.DEADLINE_EXCEEDED
                    ? "missed the " + options.callTimeout().toMillis() + " ms deadline of a " + what
                    : what + " failed at " + address + ": " + status.getCode()
                            + (status.getDescription() == null ? "" : " (" + status.getDescription() + ")");
            unavailable = reason;
            throw new RemoteExpertException(name, reason, e);
        }
    }

    private static List<Integer> ids(Prompt prompt) {
        return Arrays.stream(prompt.tokenIds()).boxed().toList();
    }

    private static List<Image> images(Prompt prompt) {
        return prompt.images().stream().map(RemoteExpert::image).toList();
    }

    private static Image image(ImageInput image) {
        return Image.newBuilder()
                .setBytes(ByteString.copyFrom(image.bytes()))
                .setMediaType(image.mediaType())
                .build();
    }

    /** Closes the connection; the expert frees this gateway's sessions when their leases run out. */
    @Override
    public void close() {
        keepAlive.shutdownNow();
        if (ownsChannel) {
            channel.shutdownNow();
        }
    }

    private static final StreamObserver<CloseReply> IGNORE = new StreamObserver<>() {
        @Override
        public void onNext(CloseReply value) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
    };
}
