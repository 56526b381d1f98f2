package io.tributary.server.serving;

import io.tributary.routing.decode.DecodeScheduler;
import io.tributary.server.config.TributaryProperties;
import io.tributary.server.mixture.ServedModel;
import io.tributary.server.structured.StructuredOutputs;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** The decoding scheduler and the threads that write streams to clients. */
@Configuration(proxyBeanMethods = false)
class ServingConfiguration {

    @Bean(destroyMethod = "close")
    DecodeScheduler decodeScheduler(ServedModel model, TributaryProperties properties, DecodeThreads decodeThreads) {
        TributaryProperties.Scheduler config = properties.scheduler();
        long kvBudget = KvCacheBudget.bytes(model, config);
        int parallelExperts = config.parallelExperts() > 0
                ? config.parallelExperts()
                : Runtime.getRuntime().availableProcessors();
        return new DecodeScheduler(
                model.mixture(),
                new DecodeScheduler.Limits(config.maxRunning(), config.maxWaiting(), config.maxBatchTokens(), kvBudget),
                parallelExperts,
                decodeThreads);
    }

    /**
     * Writers for server-sent events. A stream occupies a writer only while it has events to flush, so a few
     * threads serve many streams; a client too slow to read delays only its own stream.
     */
    /** Output formats compiled against the served vocabulary, kept across requests. */
    @Bean
    StructuredOutputs structuredOutputs(ServedModel model) {
        return new StructuredOutputs(
                model.mixture().detokenizer(), model.mixture().eosTokenIds());
    }

    @Bean(name = "sseWriter", destroyMethod = "shutdown")
    ExecutorService sseWriter() {
        AtomicInteger count = new AtomicInteger();
        ThreadFactory factory = runnable -> {
            Thread thread = new Thread(runnable, "tributary-sse-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        return Executors.newFixedThreadPool(4, factory);
    }
}
