package io.tributary.remote.host;

import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.tributary.remote.security.BearerTokens;
import io.tributary.remote.security.ExpertServerSecurity;
import io.tributary.remote.tracing.GrpcTracing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The expert role's gRPC server: serves {@link HostedExpert}s and the standard gRPC health service (the empty
 * service name and each expert's name report SERVING once started, NOT_SERVING while stopping).
 */
public final class ExpertHostServer implements AutoCloseable {

    /**
     * @param port        0 picks a free port
     * @param lease       how long a session lives without a step or keep-alive from its gateway
     * @param stepThreads threads that run requests (passes of different experts run side by side)
     * @param security    TLS, client certificates and bearer token
     * @param admission   how much work the server takes before it refuses more
     */
    public record Settings(
            int port, Duration lease, int stepThreads, ExpertServerSecurity security, Admission admission) {

        public Settings(int port, Duration lease, int stepThreads) {
            this(port, lease, stepThreads, ExpertServerSecurity.NONE);
        }

        public Settings(int port, Duration lease, int stepThreads, ExpertServerSecurity security) {
            this(port, lease, stepThreads, security, Admission.DEFAULT);
        }

        public Settings {
            if (port < 0 || port > 65_535 || lease.isNegative() || lease.isZero() || stepThreads < 1) {
                throw new IllegalArgumentException(
                        "bad expert server settings: port " + port + ", lease " + lease + ", threads " + stepThreads);
            }
        }
    }

    /**
     * What an expert server takes on, so that gateways sharing it cannot starve each other or grow its queue without
     * end: beyond either bound it refuses with {@code RESOURCE_EXHAUSTED}, which a gateway answers by trying another
     * replica, or by going on without the expert.
     *
     * @param maxSessions    sessions open at once, over all gateways and experts (each holds a KV cache)
     * @param maxQueuedSteps steps waiting for one expert while it runs another (each gateway sends one per decoding
     *                       step, so about the number of gateways that may use it at once)
     */
    public record Admission(int maxSessions, int maxQueuedSteps) {

        public static final Admission DEFAULT = new Admission(1024, 16);

        public Admission {
            if (maxSessions < 1 || maxQueuedSteps < 0) {
                throw new IllegalArgumentException("bad expert server admission: " + maxSessions + " sessions, "
                        + maxQueuedSteps + " queued steps");
            }
        }
    }

    private final Server server;
    private final HostedSessions sessions;
    private final HealthStatusManager health = new HealthStatusManager();
    private final ExecutorService executor;
    private final ScheduledExecutorService reaper;
    private final List<HostedExpert> experts;
    private final ExpertHost host;

    /** @param threads makes the threads that run forward passes (prepared for native inference by the caller) */
    public ExpertHostServer(List<HostedExpert> experts, Settings settings, ThreadFactory threads) {
        this(experts, settings, threads, GrpcTracing.NONE);
    }

    /** @param tracing joins the calls that carry a gateway's trace context to that trace */
    public ExpertHostServer(List<HostedExpert> experts, Settings settings, ThreadFactory threads, GrpcTracing tracing) {
        this.experts = List.copyOf(experts);
        this.sessions = new HostedSessions(
                settings.lease(), System::nanoTime, settings.admission().maxSessions());
        this.executor = Executors.newFixedThreadPool(settings.stepThreads(), daemon(threads, "tributary-expert-rpc"));
        this.reaper = Executors.newSingleThreadScheduledExecutor(daemon(Thread::new, "tributary-expert-leases"));
        NettyServerBuilder builder = NettyServerBuilder.forAddress(
                new InetSocketAddress(settings.port()), settings.security().credentials());
        if (settings.security().token() != null) {
            builder.intercept(BearerTokens.requiring(settings.security().token()));
        }
        builder.intercept(tracing.server()); // the last added runs first: a refused call is traced too
        this.server = builder.executor(executor)
                .maxInboundMessageSize(256 * 1024 * 1024) // prompts carry images
                .addService(host = new ExpertHost(this.experts, sessions, settings.admission(), tracing.tracer()))
                .addService(health.getHealthService())
                .build();
        long period = Math.max(1, settings.lease().toMillis() / 4);
        reaper.scheduleWithFixedDelay(sessions::expire, period, period, TimeUnit.MILLISECONDS);
    }

    public ExpertHostServer start() {
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot serve experts on port " + server.getPort() + ": " + e.getMessage(), e);
        }
        setStatus(ServingStatus.SERVING);
        return this;
    }

    public int port() {
        return server.getPort();
    }

    /** Sessions gateways hold open here. */
    public int openSessions() {
        return sessions.open();
    }

    /** Opens refused because the server held {@link Admission#maxSessions} sessions. */
    public long refusedSessions() {
        return host.refusedSessions();
    }

    /** Steps refused because {@link Admission#maxQueuedSteps} were already waiting for their expert. */
    public long refusedSteps() {
        return host.refusedSteps();
    }

    private void setStatus(ServingStatus status) {
        health.setStatus("", status);
        experts.forEach(expert -> health.setStatus(expert.name(), status));
    }

    /** Stops taking requests, lets running ones finish briefly, then frees every session (not the experts). */
    @Override
    public void close() {
        health.enterTerminalState();
        server.shutdown();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        reaper.shutdownNow();
        executor.shutdown();
        sessions.closeAll();
    }

    private static ThreadFactory daemon(ThreadFactory threads, String name) {
        return work -> {
            Thread thread = threads.newThread(work);
            thread.setName(name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
