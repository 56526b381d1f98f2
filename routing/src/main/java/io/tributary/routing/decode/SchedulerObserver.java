package io.tributary.routing.decode;

import io.tributary.routing.Expert;

/**
 * Hears what the scheduler does, for metrics. Called on the scheduler's threads (an expert's pass on the thread that
 * ran it): implementations must be quick and thread-safe.
 */
public interface SchedulerObserver {

    SchedulerObserver NONE = new SchedulerObserver() {};

    /** A generation left the queue and starts decoding, {@code queuedNanos} after it was created. */
    default void admitted(Generation generation, long queuedNanos) {}

    /** The running generations outgrew the KV budget: {@code generation}, the youngest, was sent back to the queue. */
    default void preempted(Generation generation) {}

    /** An expert ran one batched pass of {@code sessions} requests and {@code positions} positions. */
    default void expertPass(Expert expert, int sessions, int positions, long nanos) {}
}
