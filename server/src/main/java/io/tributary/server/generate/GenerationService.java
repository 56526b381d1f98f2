package io.tributary.server.generate;

import io.tributary.routing.decode.DecodeScheduler;
import io.tributary.routing.decode.Generation;
import io.tributary.routing.decode.GenerationListener;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.decode.OverloadedException;
import io.tributary.server.lifecycle.AdmissionGate;
import io.tributary.server.lifecycle.ServerShuttingDownException;
import io.tributary.server.metrics.GenerationMetrics;
import io.tributary.server.mixture.ServedModel;
import org.springframework.stereotype.Service;

/** Admits generations to the scheduler, measured. The only way HTTP code reaches the mixture. */
@Service
class GenerationService {

    static final String KV_BUDGET_SETTING = "tributary.scheduler.kv-cache-budget";

    private final ServedModel model;
    private final DecodeScheduler scheduler;
    private final GenerationMetrics metrics;
    private final AdmissionGate admissions;

    GenerationService(ServedModel model, DecodeScheduler scheduler, GenerationMetrics metrics,
                      AdmissionGate admissions) {
        this.model = model;
        this.scheduler = scheduler;
        this.metrics = metrics;
        this.admissions = admissions;
    }

    /**
     * Queues a generation; the listener hears of it from a decoding thread.
     *
     * @return a handle to cancel it (the client went away, the deadline passed)
     * @throws OverloadedException         when the queue is full
     * @throws ServerShuttingDownException when the server is draining before it stops
     */
    Generation submit(GenerationRequest request, GenerationListener listener) {
        Generation generation = model.mixture().start(request,
                metrics.measure(listener, request.prompt().length()));
        try {
            admissions.admit(() -> scheduler.submit(generation));
        } catch (OverloadedException e) {
            metrics.rejected("overloaded");
            throw e;
        } catch (ServerShuttingDownException e) {
            metrics.rejected("shutting_down");
            throw e;
        } catch (IllegalArgumentException e) {
            // The scheduler refuses this way only a request that could never fit the KV budget.
            throw new RequestValidationException(e.getMessage() + " (the budget is " + KV_BUDGET_SETTING + ")");
        }
        return generation;
    }
}
