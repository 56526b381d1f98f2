package io.tributary.server.lifecycle;

import org.springframework.stereotype.Component;

/**
 * Whether new generations may start. Closed when the server begins to shut down: from then on every new
 * generation is refused with {@link ServerShuttingDownException} (503) while those already admitted run to their end.
 * Admission and closing exclude each other, so after {@link #close()} returns, every admitted generation is already
 * in the scheduler, where the drain waits for it.
 */
@Component
public class AdmissionGate {

    private boolean open = true;

    /**
     * Runs {@code submit} (which hands a generation to the scheduler) unless the gate is closed.
     *
     * @throws ServerShuttingDownException when the server is shutting down
     */
    public synchronized void admit(Runnable submit) {
        if (!open) {
            throw new ServerShuttingDownException();
        }
        submit.run();
    }

    public synchronized void close() {
        open = false;
    }

    /** Admits again, after a stop that was not a shutdown (a restarted context). */
    public synchronized void open() {
        open = true;
    }

    public synchronized boolean isOpen() {
        return open;
    }
}
