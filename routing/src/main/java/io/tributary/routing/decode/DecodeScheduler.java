package io.tributary.routing.decode;

import io.tributary.routing.SessionsUnavailableException;
import io.tributary.routing.refusal.KvBudgetExceededException;

import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Continuous batching: one decoding thread runs every admitted generation together, a step at a time. Each step
 * asks every generation what it needs ({@link Generation#plan}), runs one batched forward pass per expert over
 * all of them, then lets each generation mix, sample and publish its token ({@link Generation#finishStep}).
 * Generations join and leave between steps; a prompt is prefilled in chunks under a per-step token budget, so a
 * long prompt never stalls the running streams for more than one chunk.
 *
 * <p>Admission by what the KV cache holds, as vLLM's scheduler does: a generation is admitted, in arrival order,
 * while fewer than {@code maxRunning} run and what it needs now ({@link Generation#kvBytesAfterNextToken()}: its
 * prompt and the next token) fits in what the running ones leave of the KV budget, less a 1% watermark; up to
 * {@code maxWaiting} more wait; beyond that, {@link #submit} refuses at once with {@link OverloadedException}. The
 * running generations grow by a token a step; when they outgrow the budget, the youngest is preempted (its sessions
 * freed, see {@link Generation#preempt()}) and goes back to the head of the queue, to be recomputed when there is
 * room. A generation whose prompt and {@code max_new_tokens} exceed the whole budget is refused at once, so the
 * oldest running generation always fits alone.
 */
public final class DecodeScheduler implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(DecodeScheduler.class.getName());

    /**
     * @param maxRunning     generations decoded together
     * @param maxWaiting     generations queued behind them
     * @param maxBatchTokens positions one step may run over all experts (prefill chunks share what decodes leave)
     * @param kvBudgetBytes  KV cache the running generations may hold together
     */
    public record Limits(int maxRunning, int maxWaiting, int maxBatchTokens, long kvBudgetBytes) {

        public Limits {
            if (maxRunning < 1 || maxWaiting < 0 || maxBatchTokens < 1 || kvBudgetBytes < 1) {
                throw new IllegalArgumentException("need at least one running slot, one token a step and a positive"
                        + " KV budget: " + maxRunning + ", " + maxWaiting + ", " + maxBatchTokens + ", "
                        + kvBudgetBytes);
            }
        }
    }

    private final Mixture mixture;
    private final Limits limits;
    private final Object lock = new Object();
    private final List<Generation> running = new ArrayList<>();
    private final ArrayDeque<Generation> waiting = new ArrayDeque<>();
    private final Thread loop;
    private final ExecutorService passWorkers; // null: one pass at a time, on the loop thread
    private final int parallelPasses; // passes running at once, the loop thread's included
    private final StepStatistics statistics = new StepStatistics();
    private long kvUsed; // what the running generations hold once their next tokens run
    private boolean closed;
    private volatile SchedulerObserver observer = SchedulerObserver.NONE;

    public DecodeScheduler(Mixture mixture, Limits limits, ThreadFactory threadFactory) {
        this(mixture, limits, 1, threadFactory);
    }

    /**
     * @param parallelPasses how many experts' passes of one step may run at once (on the loop thread and
     *                       {@code parallelPasses - 1} helpers from {@code threadFactory}): a step of K experts then
     *                       costs about its slowest expert, not their sum
     */
    public DecodeScheduler(Mixture mixture, Limits limits, int parallelPasses, ThreadFactory threadFactory) {
        if (parallelPasses < 1) {
            throw new IllegalArgumentException("parallel passes must be at least 1, got " + parallelPasses);
        }
        this.mixture = mixture;
        this.limits = limits;
        int helpers = Math.min(parallelPasses, mixture.experts().size()) - 1;
        this.parallelPasses = helpers + 1;
        this.passWorkers = helpers < 1
                ? null
                : Executors.newFixedThreadPool(helpers, work -> {
                    Thread thread = threadFactory.newThread(work);
                    thread.setName("tributary-expert-pass");
                    thread.setDaemon(true);
                    return thread;
                });
        this.loop = threadFactory.newThread(this::run);
        loop.setName("tributary-decode");
        loop.setDaemon(true);
        loop.start();
    }

    /**
     * Queues a generation of this scheduler's mixture. Its listener hears every outcome from the decoding thread.
     *
     * @throws OverloadedException         when the running slots and the waiting queue are full
     * @throws KvBudgetExceededException when the generation alone needs more KV cache than the whole budget
     * @throws IllegalStateException       when the scheduler is closed
     */
    public void submit(Generation generation) {
        long reservation = generation.kvReservationBytes();
        if (reservation > limits.kvBudgetBytes()) {
            throw new KvBudgetExceededException("the request may need " + reservation + " bytes of KV cache (its "
                    + "prompt and max_new_tokens) but the server's whole KV budget is " + limits.kvBudgetBytes()
                    + " bytes: ask for fewer tokens");
        }
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the scheduler is shut down");
            }
            if (waiting.isEmpty() && fits(generation)) {
                admit(generation);
            } else if (waiting.size() < limits.maxWaiting()) {
                waiting.addLast(generation);
            } else {
                throw new OverloadedException("Model is overloaded: " + running.size() + " requests running, "
                        + waiting.size() + " waiting, " + kvUsed + " of " + limits.kvBudgetBytes()
                        + " KV cache bytes in use");
            }
            lock.notifyAll();
        }
    }

    /** Tells {@code observer} of admissions and expert passes from now on (one observer; metrics). */
    public void observe(SchedulerObserver observer) {
        this.observer = observer;
    }

    /** Generations being decoded. */
    public int running() {
        synchronized (lock) {
            return running.size();
        }
    }

    /** Generations queued behind the running ones. */
    public int waiting() {
        synchronized (lock) {
            return waiting.size();
        }
    }

    /** KV cache bytes the running generations hold, counting the token each runs next. */
    public long kvUsedBytes() {
        synchronized (lock) {
            return kvUsed;
        }
    }

    public Limits limits() {
        return limits;
    }

    /** Counts of what the steps ran so far, for metrics. */
    public StepStatistics statistics() {
        return statistics;
    }

    /** Whether {@code generation} can start now, leaving the running ones a watermark of 1% to grow into. */
    private boolean fits(Generation generation) {
        long watermark = limits.kvBudgetBytes() / 100;
        return running.size() < limits.maxRunning()
                && kvUsed + generation.kvBytesAfterNextToken() <= limits.kvBudgetBytes() - watermark;
    }

    private void admit(Generation generation) {
        running.add(generation);
        kvUsed += generation.kvBytesAfterNextToken();
        if (generation.preemptions() == 0) {
            observer.admitted(generation, System.nanoTime() - generation.createdNanos());
        }
    }

    /**
     * Counts what the running generations hold after their next tokens and, while that exceeds the budget, preempts
     * the youngest to the head of the queue (older preempted ones end up before it). On the decoding thread.
     */
    private void preemptWhileOverBudget() {
        kvUsed = running.stream().mapToLong(Generation::kvBytesAfterNextToken).sum();
        while (kvUsed > limits.kvBudgetBytes() && running.size() > 1) {
            Generation youngest = running.get(0);
            for (Generation generation : running) {
                if (generation.createdNanos() > youngest.createdNanos()) {
                    youngest = generation;
                }
            }
            running.remove(youngest);
            kvUsed -= youngest.kvBytesAfterNextToken();
            youngest.preempt();
            waiting.addFirst(youngest);
            observer.preempted(youngest);
        }
    }

    private void run() {
        List<Generation> batch = new ArrayList<>();
        while (true) {
            synchronized (lock) {
                while (running.isEmpty() && !closed) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                batch.clear();
                batch.addAll(running);
            }
            step(batch);
            List<Generation> cancelledWhileWaiting = new ArrayList<>();
            synchronized (lock) {
                running.removeIf(Generation::isDone);
                // A request cancelled in the queue (its client left) must not hold up the ones behind it.
                waiting.removeIf(generation -> generation.isCancelled() && cancelledWhileWaiting.add(generation));
                preemptWhileOverBudget();
                while (!waiting.isEmpty() && fits(waiting.peekFirst())) {
                    admit(waiting.pollFirst());
                }
            }
            cancelledWhileWaiting.forEach(DecodeScheduler::cancelNow);
        }
    }

    /** One step of every generation in {@code batch}: plan, one forward pass per expert, finish. */
    private void step(List<Generation> batch) {
        long started = System.nanoTime();
        StepPlanner planner = new StepPlanner(mixture.experts(), limits.maxBatchTokens());
        // Decoding generations plan first: their next token always fits, prompts being prefilled share the rest.
        for (Generation generation : batch) {
            if (generation.generatedTokens() > 0) {
                generation.plan(planner);
            }
        }
        for (Generation generation : batch) {
            if (generation.generatedTokens() == 0) {
                generation.plan(planner);
            }
        }
        DecodeStep step = planner.build();
        runPasses(step.passes());
        for (Generation generation : batch) {
            finishSafely(generation);
        }
        statistics.record(step, System.nanoTime() - started);
    }

    /**
     * Runs each expert's pass, several at once when helpers are configured; a failed pass fails its owners, on this
     * thread, once every pass has ended (generations are confined to the loop thread).
     */
    private void runPasses(List<DecodeStep.Pass> passes) {
        Throwable[] failures = new Throwable[passes.size()];
        AtomicInteger next = new AtomicInteger();
        Runnable takeTurns = () -> {
            for (int i = next.getAndIncrement(); i < passes.size(); i = next.getAndIncrement()) {
                failures[i] = runPass(passes.get(i));
            }
        };
        List<Future<?>> helping = new ArrayList<>();
        int helpers = passWorkers == null ? 0 : Math.min(passes.size(), parallelPasses) - 1;
        for (int h = 0; h < helpers; h++) {
            helping.add(passWorkers.submit(takeTurns));
        }
        takeTurns.run();
        for (Future<?> helper : helping) {
            awaitUninterruptibly(helper);
        }
        for (int i = 0; i < passes.size(); i++) {
            Throwable failure = failures[i];
            if (failure != null) {
                DecodeStep.Pass pass = passes.get(i);
                for (int e = 0; e < pass.owners().size(); e++) {
                    // A pass that lost some sessions only fails the requests of those.
                    if (!(failure instanceof SessionsUnavailableException some)
                            || some.lost(pass.batch().entries().get(e).session())) {
                        pass.owners().get(e).expertFailed(pass.expert(), failure);
                    }
                }
            }
        }
    }

    private Throwable runPass(DecodeStep.Pass pass) {
        try {
            long started = System.nanoTime();
            pass.expert().forward(pass.batch());
            observer.expertPass(
                    pass.expert(),
                    pass.batch().entries().size(),
                    pass.batch().positions(),
                    System.nanoTime() - started);
            return null;
        } catch (RuntimeException | Error e) {
            LOG.log(
                    Level.WARNING,
                    "expert '" + pass.expert().name() + "' failed a batched pass of "
                            + pass.batch().entries().size() + " sessions",
                    e);
            return e;
        }
    }

    private static void awaitUninterruptibly(Future<?> future) {
        boolean interrupted = false;
        while (true) {
            try {
                future.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException e) {
                break; // runPass catches everything; nothing else can fail here
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void finishSafely(Generation generation) {
        try {
            generation.finishStep();
        } catch (RuntimeException | Error e) {
            // Only a listener failing after its final call lands here; the generation is over either way.
            LOG.log(Level.WARNING, "listener failed after the end of a generation", e);
        }
    }

    private static void cancelNow(Generation generation) {
        generation.cancel();
        finishSafely(generation); // frees its sessions and tells its listener
    }

    /** Stops the decoding thread and cancels every generation still queued or running. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            lock.notifyAll();
        }
        try {
            loop.join(10_000); // the step in progress finishes first: sessions are never freed under a forward pass
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (passWorkers != null) {
            passWorkers.shutdown();
        }
        List<Generation> abandoned;
        synchronized (lock) {
            abandoned = new ArrayList<>(running);
            abandoned.addAll(waiting);
            running.clear();
            waiting.clear();
            kvUsed = 0;
        }
        abandoned.forEach(DecodeScheduler::cancelNow);
    }
}
