package io.tributary.server.serving;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.tributary.routing.decode.DecodeScheduler;
import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.Generation;
import io.tributary.routing.decode.GenerationListener;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.decode.GenerationResult;
import io.tributary.routing.decode.OverloadedException;
import io.tributary.routing.refusal.KvBudgetExceededException;
import io.tributary.server.error.GenerationFailedException;
import io.tributary.server.lifecycle.AdmissionGate;
import io.tributary.server.lifecycle.ServerShuttingDownException;
import io.tributary.server.metrics.GenerationMetrics;
import io.tributary.server.mixture.ServedModel;
import io.tributary.server.tracing.GenerationTracing;
import io.tributary.server.tracing.RequestIdFilter;
import io.tributary.server.tracing.TracedGeneration;
import org.slf4j.MDC;
import org.springframework.stereotype.Service;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/** Admits generations to the scheduler, measured. The only way HTTP code reaches the mixture. */
@Service
public class GenerationService {

    static final String KV_BUDGET_SETTING = "tributary.scheduler.kv-cache-budget";

    private final ServedModel model;
    private final DecodeScheduler scheduler;
    private final GenerationMetrics metrics;
    private final AdmissionGate admissions;
    private final GenerationTracing tracing;

    GenerationService(
            ServedModel model,
            DecodeScheduler scheduler,
            GenerationMetrics metrics,
            AdmissionGate admissions,
            GenerationTracing tracing) {
        this.model = model;
        this.scheduler = scheduler;
        this.metrics = metrics;
        this.admissions = admissions;
        this.tracing = tracing;
    }

    /**
     * Queues a generation, measured and traced under the current trace context; the listener hears of it from a
     * decoding thread.
     *
     * @return a handle to cancel it (the client went away, the deadline passed)
     * @throws OverloadedException         when the queue is full
     * @throws ServerShuttingDownException when the server is draining before it stops
     * @throws RequestValidationException  when the request could never fit the KV budget
     */
    public Generation submit(GenerationRequest request, GenerationListener listener) {
        TracedGeneration traced = tracing.start(
                request, metrics.measure(listener, request.prompt().length()));
        Generation generation = model.mixture().start(request, traced);
        try {
            admissions.admit(() -> scheduler.submit(generation));
        } catch (OverloadedException e) {
            traced.refused(e);
            metrics.rejected("overloaded");
            throw e;
        } catch (ServerShuttingDownException e) {
            traced.refused(e);
            metrics.rejected("shutting_down");
            throw e;
        } catch (KvBudgetExceededException e) {
            traced.refused(e);
            throw new RequestValidationException(e.getMessage() + " (the budget is " + KV_BUDGET_SETTING + ")", e);
        }
        return generation;
    }

    /**
     * Queues a generation whose answer is wanted whole; it is cancelled, freeing its KV caches, if it is not over
     * within {@code timeout} or if the caller cancels the future (the client went away).
     *
     * @throws OverloadedException when the queue is full
     */
    public CompletableFuture<GenerationResult> generate(GenerationRequest request, Duration timeout) {
        CompletableFuture<GenerationResult> result = new CompletableFuture<>();
        Generation generation = submit(request, new CompletingListener(result));
        return result.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((done, failure) -> {
            if (failure != null) {
                generation.cancel();
            }
        });
    }

    /**
     * Several answers to one prompt ({@code n} above 1), each within {@code timeout}, all cancelled if one fails or
     * the caller cancels. The first is queued at once and the others at its first token: its prompt is then in the
     * experts' KV caches, and they take it from their prefix caches instead of computing it again, as vLLM's
     * siblings share their prompt's blocks (the last, partly filled block is copied on write).
     *
     * @throws OverloadedException when the queue is full for the first
     */
    public CompletableFuture<List<GenerationResult>> generateAll(List<GenerationRequest> requests, Duration timeout) {
        List<CompletableFuture<GenerationResult>> results = new ArrayList<>();
        List<GenerationListener> listeners = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            CompletableFuture<GenerationResult> result = new CompletableFuture<>();
            results.add(result);
            listeners.add(new CompletingListener(result));
        }
        List<Generation> started = new CopyOnWriteArrayList<>();
        AtomicBoolean abandoned = new AtomicBoolean();
        submitAll(requests, listeners, generation -> {
            started.add(generation);
            if (abandoned.get()) {
                generation.cancel(); // a sibling that started after the others failed or timed out
            }
        });
        CompletableFuture<Void> all = CompletableFuture.allOf(results.toArray(CompletableFuture[]::new));
        results.forEach(result -> result.whenComplete((done, failure) -> {
            if (failure != null) {
                all.completeExceptionally(failure);
            }
        }));
        return all.thenApply(
                        done -> results.stream().map(CompletableFuture::join).toList())
                .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((done, failure) -> {
                    if (failure != null) {
                        abandoned.set(true);
                        started.forEach(Generation::cancel);
                    }
                });
    }

    /**
     * Several answers to one prompt, each to its listener: the first is queued at once and the others at its first
     * token, when its prompt is in the experts' prefix caches (see {@link #generateAll}). A sibling that cannot be
     * queued fails through its listener.
     *
     * @param started told of each generation as it is queued, so that it can be cancelled
     * @throws OverloadedException when the queue is full for the first
     */
    public void submitAll(
            List<GenerationRequest> requests, List<GenerationListener> listeners, Consumer<Generation> started) {
        AtomicBoolean siblingsStarted = new AtomicBoolean();
        Runnable startSiblings = inRequestContext(() -> {
            if (siblingsStarted.compareAndSet(false, true)) {
                for (int i = 1; i < requests.size(); i++) {
                    try {
                        started.accept(submit(requests.get(i), listeners.get(i)));
                    } catch (RuntimeException e) {
                        listeners.get(i).onError(e);
                    }
                }
            }
        });
        GenerationListener first = listeners.get(0);
        started.accept(submit(requests.get(0), new GenerationListener() {
            @Override
            public void onToken(GeneratedToken token) {
                first.onToken(token);
                startSiblings.run();
            }

            @Override
            public void onExpertLost(String expert, Throwable failure) {
                first.onExpertLost(expert, failure);
            }

            @Override
            public void onExpertFailover(String expert, String detail) {
                first.onExpertFailover(expert, detail);
            }

            @Override
            public void onFinish(GenerationResult finished) {
                first.onFinish(finished);
                startSiblings.run(); // a first answer of no token at all still lets the others run
            }

            @Override
            public void onError(Throwable error) {
                first.onError(error);
            }
        }));
    }

    /**
     * Work that runs later on a decoding thread on behalf of the current request: it keeps the request's trace and
     * request id.
     */
    private static Runnable inRequestContext(Runnable work) {
        Context trace = Context.current();
        String requestId = MDC.get(RequestIdFilter.LOG_KEY);
        return () -> {
            try (Scope ignored = trace.makeCurrent();
                    MDC.MDCCloseable id =
                            requestId == null ? null : MDC.putCloseable(RequestIdFilter.LOG_KEY, requestId)) {
                work.run();
            }
        };
    }

    /**
     * Completes a future with the generation's outcome; tokens are only collected in the result. A failure stays
     * as it was thrown, for the exception handler's rule, except a loss of the experts: TGI's 424.
     */
    private record CompletingListener(CompletableFuture<GenerationResult> result) implements GenerationListener {
        @Override
        public void onToken(GeneratedToken token) {}

        @Override
        public void onFinish(GenerationResult finished) {
            result.complete(finished);
        }

        @Override
        public void onError(Throwable error) {
            result.completeExceptionally(
                    GenerationFailedException.isExpertFailure(error) ? new GenerationFailedException(error) : error);
        }
    }
}
