package io.tributary.model.decoder;

import io.tributary.model.NativeTarget;

import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * A second thread that runs one task at a time for one caller, and hands it over in about a microsecond: after a
 * task it keeps spinning for {@value #SPIN_NANOS} ns before it parks. Waking a parked thread costs 50-100 µs on
 * the machines we measured, as long as half of a decoder's matmul, which made an executor-based split no faster
 * than one thread; within a decode step the partner never parks. Between steps it does, so an idle server does not
 * burn a core.
 *
 * <p>Single caller: {@link #submit} and {@link #await} must not be called by two threads at once (the owning
 * decoder's lock serialises its steps).
 */
final class SpinningPartner implements AutoCloseable {

    private static final long SPIN_NANOS = 2_000_000;

    private final Thread thread;
    private volatile Supplier<Object> task;
    private volatile Object result;
    private volatile RuntimeException failure;
    private volatile boolean finished;
    private volatile boolean closed;

    SpinningPartner(String name) {
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts {@code work} on the partner; the caller then does its own share and calls {@link #await}. */
    void submit(Supplier<?> work) {
        finished = false;
        failure = null;
        @SuppressWarnings("unchecked")
        Supplier<Object> untyped = (Supplier<Object>) work;
        task = untyped;
        LockSupport.unpark(thread);
    }

    /** The submitted task's result, once it is done; its exception if it failed. */
    @SuppressWarnings("unchecked")
    <T> T await() {
        while (!finished) {
            Thread.onSpinWait();
        }
        if (failure != null) {
            throw failure;
        }
        T value = (T) result;
        result = null;
        return value;
    }

    private void run() {
        NativeTarget.prepareInferenceThread();
        long idleSince = System.nanoTime();
        while (!closed) {
            Supplier<Object> work = task;
            if (work == null) {
                if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                    idleSince = System.nanoTime();
                }
                continue;
            }
            task = null;
            try {
                result = work.get();
            } catch (RuntimeException e) {
                failure = e;
            } catch (Error e) {
                failure = new IllegalStateException("the partner thread failed", e);
            }
            finished = true;
            idleSince = System.nanoTime();
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
    }
}
