package io.tributary.server.lifecycle;

import io.tributary.routing.decode.DecodeScheduler;
import io.tributary.server.config.TributaryProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import java.time.Duration;

/**
 * The first thing a shutdown does: stop admitting generations (new ones get 503), report readiness as
 * OUT_OF_SERVICE, and wait for the running and queued generations to finish, at most
 * {@code tributary.shutdown.drain-timeout}; whatever still runs then is cancelled. Only after this does the web
 * server's own graceful shutdown stop accepting connections, so clients and probes hear a clear answer meanwhile.
 */
@Component
class DrainOnShutdown implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(DrainOnShutdown.class);
    private static final long POLL_MILLIS = 20;

    private final AdmissionGate gate;
    private final DecodeScheduler scheduler;
    private final ApplicationEventPublisher events;
    private final Duration timeout;
    private volatile boolean running;
    private volatile boolean drained;

    DrainOnShutdown(
            AdmissionGate gate,
            DecodeScheduler scheduler,
            ApplicationEventPublisher events,
            TributaryProperties properties) {
        this.gate = gate;
        this.scheduler = scheduler;
        this.events = events;
        this.timeout = properties.shutdown().drainTimeout();
    }

    @Override
    public void start() {
        if (drained) {
            // Started again after a stop that closed nothing (Spring's tests pause and resume cached contexts).
            gate.open();
            AvailabilityChangeEvent.publish(events, this, ReadinessState.ACCEPTING_TRAFFIC);
            drained = false;
        }
        running = true;
    }

    @Override
    public void stop() {
        gate.close();
        AvailabilityChangeEvent.publish(events, this, ReadinessState.REFUSING_TRAFFIC);
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        int left = inFlight();
        boolean waited = left > 0;
        if (waited) {
            LOG.info(
                    "shutting down: waiting up to {} ms ({}) for {} generation(s) to finish",
                    timeout.toMillis(),
                    TributaryProperties.Shutdown.DRAIN_TIMEOUT,
                    left);
        }
        while (left > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            left = inFlight();
        }
        if (left > 0) {
            LOG.warn(
                    "shutting down: {} generation(s) still running after {} ms ({}); cancelling them",
                    left,
                    timeout.toMillis(),
                    TributaryProperties.Shutdown.DRAIN_TIMEOUT);
            scheduler.close(); // cancels them: their clients get a 503 or a final error event
        } else if (waited) {
            LOG.info("shutting down: every generation finished, in {} ms", (System.nanoTime() - started) / 1_000_000);
        }
        drained = true;
        running = false;
    }

    private int inFlight() {
        return scheduler.running() + scheduler.waiting();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stopped first of all lifecycles, before the web server's graceful shutdown closes the port. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE;
    }
}
