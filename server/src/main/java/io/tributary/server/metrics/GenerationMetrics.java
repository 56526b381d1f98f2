package io.tributary.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tributary.model.NativeMemory;
import io.tributary.model.decoder.BatchDecoder;
import io.tributary.model.decoder.DecoderExpert;
import io.tributary.remote.client.ReplicatedExpert;
import io.tributary.routing.Expert;
import io.tributary.routing.decode.DecodeScheduler;
import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.Generation;
import io.tributary.routing.decode.GenerationListener;
import io.tributary.routing.decode.GenerationResult;
import io.tributary.routing.decode.SchedulerObserver;
import io.tributary.routing.decode.StepStatistics;
import io.tributary.server.mixture.ServedModel;
import io.tributary.server.mixture.SharedVision;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

/**
 * The serving metrics, named after vLLM's de-facto standard ({@code time_to_first_token_seconds},
 * {@code inter_token_latency_seconds}, ...) under the {@code tributary_} prefix, plus what only a mixture has:
 * how often each expert takes part in choosing a token.
 */
@Component
public class GenerationMetrics {

    private final MeterRegistry registry;
    private final Timer timeToFirstToken;
    private final Timer interTokenLatency;
    private final Timer endToEnd;
    private final Counter promptTokens;
    private final Counter generationTokens;
    private final List<Counter> expertSelections;

    public GenerationMetrics(MeterRegistry registry, ServedModel model, DecodeScheduler scheduler) {
        this.registry = registry;
        this.timeToFirstToken = latency("tributary.time_to_first_token", "Time from arrival to the first token");
        this.interTokenLatency = latency("tributary.inter_token_latency", "Time between consecutive tokens");
        this.endToEnd = latency("tributary.e2e_request_latency", "Time from arrival to the last token");
        this.promptTokens = Counter.builder("tributary.prompt_tokens")
                .description("Prompt tokens processed")
                .register(registry);
        this.generationTokens = Counter.builder("tributary.generation_tokens")
                .description("Tokens generated")
                .register(registry);
        this.expertSelections = model.expertNames().stream()
                .map(name -> Counter.builder("tributary.expert_selected_tokens")
                        .description("Generated tokens for which the router gave this expert a positive weight")
                        .tag("expert", name)
                        .register(registry))
                .toList();
        Gauge.builder("tributary.num_requests_running", scheduler, DecodeScheduler::running)
                .description("Requests being decoded")
                .register(registry);
        Gauge.builder("tributary.num_requests_waiting", scheduler, DecodeScheduler::waiting)
                .description("Requests queued behind the running ones")
                .register(registry);
        FunctionCounter.builder("tributary.image_encodes", model.vision(), SharedVision::encodes)
                .description("Images run through a vision tower (experts sharing a tower encode each image once)")
                .register(registry);
        FunctionCounter.builder("tributary.image_encoder_cache_hits", model.vision(), SharedVision::cacheHits)
                .description("Image encodings reused from the shared encoder cache")
                .register(registry);
        registerBatching(registry, model, scheduler);
        observeScheduler(scheduler);
        Gauge.builder("tributary.native_arrays", model, GenerationMetrics::liveNativeArrays)
                .description("Native tensors held by the experts: weights plus the KV caches of running requests")
                .register(registry);
    }

    /** The KV budget and its use, and what the batched steps ran: mean batch = batched sessions / passes. */
    private static void registerBatching(MeterRegistry registry, ServedModel model, DecodeScheduler scheduler) {
        Gauge.builder(
                        "tributary.kv_cache_budget_bytes",
                        scheduler,
                        s -> s.limits().kvBudgetBytes())
                .description("KV cache the running requests may hold together")
                .register(registry);
        Gauge.builder("tributary.kv_cache_used_bytes", scheduler, DecodeScheduler::kvUsedBytes)
                .description("KV cache the running requests hold, counting the token each runs next")
                .register(registry);
        Gauge.builder(
                        "tributary.kv_cache_usage_perc",
                        scheduler,
                        s -> (double) s.kvUsedBytes() / s.limits().kvBudgetBytes())
                .description("Fraction of the KV budget the running requests hold, 0 to 1")
                .register(registry);
        Gauge.builder("tributary.kv_cache_allocated_bytes", model, GenerationMetrics::kvCacheBytes)
                .description("KV cache memory the experts hold now")
                .register(registry);
        registerPrefixCache(registry, model);
        registerRemoteWire(registry, model);
        StepStatistics steps = scheduler.statistics();
        FunctionCounter.builder("tributary.batch_steps", steps, StepStatistics::steps)
                .description("Batched decoding steps run")
                .register(registry);
        FunctionCounter.builder("tributary.batch_step_seconds", steps, s -> s.nanos() / 1e9)
                .description("Time the decoding thread spent in steps (planning, expert passes, sampling)")
                .register(registry);
        FunctionCounter.builder("tributary.batch_positions", steps, StepStatistics::positions)
                .description("Positions (prompt chunks and generated tokens) run through experts")
                .register(registry);
        FunctionCounter.builder("tributary.batch_expert_passes", steps, StepStatistics::passes)
                .description("Expert forward passes run, one per expert with work per step")
                .register(registry);
        FunctionCounter.builder("tributary.batch_sessions", steps, StepStatistics::batchedSessions)
                .description("Requests advanced over all expert passes")
                .register(registry);
    }

    /**
     * Each local expert's paged KV cache: prompt positions looked up for reuse and found (vLLM's
     * {@code prefix_cache_queries} and {@code prefix_cache_hits}), and its blocks by state.
     */
    private static void registerPrefixCache(MeterRegistry registry, ServedModel model) {
        for (Expert expert : model.mixture().experts()) {
            if (!(expert instanceof DecoderExpert decoder)) {
                continue;
            }
            BatchDecoder cache = decoder.batchDecoder();
            FunctionCounter.builder(
                            "tributary.prefix_cache_queries",
                            cache,
                            c -> c.kvCacheUsage().queriedPositions())
                    .description("Prompt positions looked up in the expert's prefix cache")
                    .tag("expert", expert.name())
                    .register(registry);
            FunctionCounter.builder(
                            "tributary.prefix_cache_hits",
                            cache,
                            c -> c.kvCacheUsage().hitPositions())
                    .description("Prompt positions whose keys and values were reused from the expert's prefix cache")
                    .tag("expert", expert.name())
                    .register(registry);
            kvBlocks(registry, expert, cache, "used", BatchDecoder.KvCacheUsage::heldBlocks);
            kvBlocks(registry, expert, cache, "cached", BatchDecoder.KvCacheUsage::cachedBlocks);
            kvBlocks(
                    registry,
                    expert,
                    cache,
                    "free",
                    usage -> Math.max(0, usage.poolBlocks() - 1 - usage.heldBlocks() - usage.cachedBlocks()));
        }
    }

    /**
     * Per remote expert (over its replicas), the time its steps spent on the wire (round trip less the expert
     * server's own time), and how many replicas it has.
     */
    private static void registerRemoteWire(MeterRegistry registry, ServedModel model) {
        for (Expert expert : model.mixture().experts()) {
            if (expert instanceof ReplicatedExpert remote) {
                FunctionTimer.builder(
                                "tributary.remote_wire",
                                remote,
                                ReplicatedExpert::steps,
                                ReplicatedExpert::wireNanos,
                                TimeUnit.NANOSECONDS)
                        .description("Steps of a remote expert and their time on the wire: each round trip less the"
                                + " time the expert server spent on it")
                        .tag("expert", expert.name())
                        .register(registry);
                Gauge.builder(
                                "tributary.expert_replicas",
                                remote,
                                r -> r.replicas().size())
                        .description("Replicas of a remote expert that take sessions now (those that answered, and"
                                + " with a dns:/// address those its name still gives)")
                        .tag("expert", expert.name())
                        .register(registry);
            }
        }
    }

    private static void kvBlocks(
            MeterRegistry registry,
            Expert expert,
            BatchDecoder cache,
            String state,
            ToIntFunction<BatchDecoder.KvCacheUsage> count) {
        Gauge.builder("tributary.kv_cache_blocks", cache, c -> count.applyAsInt(c.kvCacheUsage()))
                .description("KV cache blocks of the expert: used by running requests, cached for reuse, or free")
                .tag("expert", expert.name())
                .tag("state", state)
                .register(registry);
    }

    /** Queue time per request (vLLM's request_queue_time_seconds) and each expert's forward latency per pass. */
    private void observeScheduler(DecodeScheduler scheduler) {
        Timer queueTime = latency("tributary.request_queue_time", "Time a request waited before decoding started");
        Map<String, Timer> forward = new ConcurrentHashMap<>();
        Counter preemptions = Counter.builder("tributary.num_preemptions")
                .description("Running requests sent back to the queue because the running ones outgrew the KV budget;"
                        + " each is recomputed when there is room")
                .register(registry);
        scheduler.observe(new SchedulerObserver() {
            @Override
            public void admitted(Generation generation, long queuedNanos) {
                queueTime.record(queuedNanos, TimeUnit.NANOSECONDS);
            }

            @Override
            public void preempted(Generation generation) {
                preemptions.increment();
            }

            @Override
            public void expertPass(Expert expert, int sessions, int positions, long nanos) {
                forward.computeIfAbsent(
                                expert.name(),
                                name -> Timer.builder("tributary.expert_forward")
                                        .description(
                                                "Time of one expert's batched forward pass (every request of a step at once)")
                                        .tag("expert", name)
                                        .publishPercentileHistogram()
                                        .minimumExpectedValue(Duration.ofMillis(1))
                                        .maximumExpectedValue(Duration.ofMinutes(1))
                                        .register(registry))
                        .record(nanos, TimeUnit.NANOSECONDS);
            }
        });
    }

    private static double kvCacheBytes(ServedModel model) {
        return model.mixture().experts().stream()
                .filter(NativeMemory.class::isInstance)
                .mapToLong(expert -> ((NativeMemory) expert).kvCacheBytes())
                .sum();
    }

    private static double liveNativeArrays(ServedModel model) {
        return model.mixture().experts().stream()
                        .filter(NativeMemory.class::isInstance)
                        .mapToInt(expert -> ((NativeMemory) expert).liveArrays())
                        .sum()
                + model.vision().liveArrays();
    }

    private Timer latency(String name, String description) {
        return Timer.builder(name)
                .description(description)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry);
    }

    /** Counts a request refused before it started (validation, overload). */
    public void rejected(String reason) {
        Counter.builder("tributary.request_rejected")
                .description("Requests refused before they started")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    /** Wraps a listener so that the request it belongs to is measured. */
    public GenerationListener measure(GenerationListener listener, int promptTokenCount) {
        long arrival = System.nanoTime();
        return new GenerationListener() {
            private long previous = arrival;

            @Override
            public void onToken(GeneratedToken token) {
                long now = System.nanoTime();
                if (token.index() == 0) {
                    promptTokens.increment(promptTokenCount); // the prompt was encoded for this token
                }
                (token.index() == 0 ? timeToFirstToken : interTokenLatency).record(Duration.ofNanos(now - previous));
                previous = now;
                generationTokens.increment();
                double[] weights = token.expertWeights();
                for (int k = 0; k < weights.length && k < expertSelections.size(); k++) {
                    if (weights[k] > 0) {
                        expertSelections.get(k).increment();
                    }
                }
                listener.onToken(token);
            }

            @Override
            public void onFinish(GenerationResult result) {
                endToEnd.record(Duration.ofNanos(System.nanoTime() - arrival));
                Counter.builder("tributary.request_success")
                        .description("Requests that finished")
                        .tag("finished_reason", result.finishReason().wireName())
                        .register(registry)
                        .increment();
                listener.onFinish(result);
            }

            @Override
            public void onError(Throwable error) {
                String outcome = error instanceof CancellationException ? "cancelled" : "error";
                Counter.builder("tributary.request_failure")
                        .description("Requests that failed or were cancelled")
                        .tag("reason", outcome)
                        .register(registry)
                        .increment();
                listener.onError(error);
            }

            @Override
            public void onExpertFailover(String expert, String detail) {
                Counter.builder("tributary.expert_failovers")
                        .description("Requests whose session moved to another replica of a remote expert because its"
                                + " replica failed; the answer went on with the same expert")
                        .tag("expert", expert)
                        .register(registry)
                        .increment();
                listener.onExpertFailover(expert, detail);
            }

            @Override
            public void onExpertLost(String expert, Throwable failure) {
                Counter.builder("tributary.expert_lost")
                        .description("Requests that went on without an expert that "
                                + "became unavailable (unreachable, past its deadline)")
                        .tag("expert", expert)
                        .register(registry)
                        .increment();
                listener.onExpertLost(expert, failure);
            }
        };
    }
}
