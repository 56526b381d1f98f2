package io.tributary.routing.decode;

import java.util.concurrent.atomic.AtomicLong;

/** Running totals of the scheduler's steps, read by metrics from any thread. */
public final class StepStatistics {

    private final AtomicLong steps = new AtomicLong();
    private final AtomicLong positions = new AtomicLong();
    private final AtomicLong passes = new AtomicLong();
    private final AtomicLong batchedSessions = new AtomicLong();
    private final AtomicLong nanos = new AtomicLong();

    void record(DecodeStep step, long elapsedNanos) {
        steps.incrementAndGet();
        positions.addAndGet(step.positions());
        passes.addAndGet(step.passes().size());
        batchedSessions.addAndGet(step.passes().stream()
                .mapToLong(pass -> pass.batch().entries().size())
                .sum());
        nanos.addAndGet(elapsedNanos);
    }

    /** Steps run. */
    public long steps() {
        return steps.get();
    }

    /** Positions run through experts, prompts and generated tokens together. */
    public long positions() {
        return positions.get();
    }

    /** Expert forward passes run (one per expert with work, per step). */
    public long passes() {
        return passes.get();
    }

    /** Sessions advanced over all passes: divided by {@link #passes()}, the mean batch size. */
    public long batchedSessions() {
        return batchedSessions.get();
    }

    /** Time spent in steps. */
    public long nanos() {
        return nanos.get();
    }
}
