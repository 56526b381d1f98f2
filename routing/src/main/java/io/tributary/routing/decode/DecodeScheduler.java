package io.tributary.routing.decode;

import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;

/**
 * Runs generations one step at a time, round-robin, on a few worker threads: a step (one token of one request)
 * is the unit of work, so a long generation never holds a thread and every running request advances evenly.
 *
 * <p>Admission control in the spirit of DJL Serving's WorkLoadManager: at most {@code maxRunning} generations
 * are interleaved; up to {@code maxWaiting} more wait in FIFO order; beyond that, {@link #submit} refuses at
 * once with {@link OverloadedException}. A later batching scheduler can take a whole round of steps and run
 * each expert once over all of them; this one steps them one by one.
 */
public final class DecodeScheduler implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(DecodeScheduler.class.getName());

    private final int maxRunning;
    private final int maxWaiting;
    private final Object lock = new Object();
    private final ArrayDeque<Generation> ready = new ArrayDeque<>();
    private final ArrayDeque<Generation> waiting = new ArrayDeque<>();
    private final List<Thread> workers = new ArrayList<>();
    private int running;
    private boolean closed;

    public DecodeScheduler(int workerCount, int maxRunning, int maxWaiting, ThreadFactory threadFactory) {
        if (workerCount < 1 || maxRunning < 1 || maxWaiting < 0) {
            throw new IllegalArgumentException("need at least one worker and one running slot");
        }
        this.maxRunning = maxRunning;
        this.maxWaiting = maxWaiting;
        for (int i = 0; i < workerCount; i++) {
            Thread worker = threadFactory.newThread(this::work);
            worker.setName("tributary-decode-" + i);
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
        }
    }

    /**
     * Queues a generation. Its listener hears every outcome from a worker thread.
     *
     * @throws OverloadedException when the running slots and the waiting queue are full
     * @throws IllegalStateException when the scheduler is closed
     */
    public void submit(Generation generation) {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the scheduler is shut down");
            }
            if (running < maxRunning) {
                running++;
                ready.addLast(generation);
                lock.notify();
            } else if (waiting.size() < maxWaiting) {
                waiting.addLast(generation);
            } else {
                throw new OverloadedException("Model is overloaded: " + running + " requests running and "
                        + waiting.size() + " waiting");
            }
        }
    }

    /** Generations admitted to the round-robin (being decoded). */
    public int running() {
        synchronized (lock) {
            return running;
        }
    }

    /** Generations queued behind the running ones. */
    public int waiting() {
        synchronized (lock) {
            return waiting.size();
        }
    }

    private void work() {
        while (true) {
            Generation generation;
            synchronized (lock) {
                while (ready.isEmpty() && !closed) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                generation = ready.pollFirst();
            }
            boolean finished = stepSafely(generation);
            boolean orphaned = false;
            synchronized (lock) {
                if (closed) {
                    orphaned = !finished;
                } else if (!finished) {
                    ready.addLast(generation);
                } else if (!waiting.isEmpty()) {
                    ready.addLast(waiting.pollFirst()); // its slot passes straight to the next in line
                } else {
                    running--;
                }
                lock.notify();
            }
            if (orphaned) {
                cancelNow(generation); // close() came while this one was being stepped
            }
        }
    }

    private static void cancelNow(Generation generation) {
        generation.cancel();
        generation.step(); // frees its sessions and tells its listener
    }

    private boolean stepSafely(Generation generation) {
        try {
            return generation.step();
        } catch (RuntimeException | Error e) {
            // Only a listener failing after its final call lands here; the generation is over either way.
            LOG.log(Level.WARNING, "listener failed after the end of a generation", e);
            return true;
        }
    }

    /** Stops the workers and cancels every generation still queued or running. */
    @Override
    public void close() {
        List<Generation> abandoned = new ArrayList<>();
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            abandoned.addAll(ready);
            abandoned.addAll(waiting);
            ready.clear();
            waiting.clear();
            lock.notifyAll();
        }
        for (Thread worker : workers) {
            try {
                worker.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        abandoned.forEach(DecodeScheduler::cancelNow);
    }
}
