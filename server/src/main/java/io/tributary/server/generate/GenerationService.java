package io.tributary.server.generate;

import io.tributary.routing.decode.DecodeScheduler;
import io.tributary.routing.decode.Generation;
import io.tributary.routing.decode.GenerationListener;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.decode.OverloadedException;
import io.tributary.server.metrics.GenerationMetrics;
import io.tributary.server.mixture.ServedModel;
import org.springframework.stereotype.Service;

/** Admits generations to the scheduler, measured. The only way HTTP code reaches the mixture. */
@Service
class GenerationService {

    private final ServedModel model;
    private final DecodeScheduler scheduler;
    private final GenerationMetrics metrics;

    GenerationService(ServedModel model, DecodeScheduler scheduler, GenerationMetrics metrics) {
        this.model = model;
        this.scheduler = scheduler;
        this.metrics = metrics;
    }

    /**
     * Queues a generation; the listener hears of it from a decoding thread.
     *
     * @return a handle to cancel it (the client went away, the deadline passed)
     * @throws OverloadedException when the queue is full
     */
    Generation submit(GenerationRequest request, GenerationListener listener) {
        Generation generation = model.mixture().start(request,
                metrics.measure(listener, request.prompt().length()));
        try {
            scheduler.submit(generation);
        } catch (OverloadedException e) {
            metrics.rejected("overloaded");
            throw e;
        }
        return generation;
    }
}
