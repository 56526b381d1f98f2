package io.tributary.server.serving;

import io.tributary.routing.Expert;
import io.tributary.server.config.TributaryProperties;
import io.tributary.server.mixture.ServedModel;

import java.lang.management.ManagementFactory;

/**
 * How much KV cache the running requests may reserve: the configured budget, or one sized from the model's shapes
 * (room for {@code max-running} requests of the longest context every expert allows), capped at a quarter of the
 * machine's (or container's) memory so a long-context model cannot reserve more than the machine has.
 */
public final class KvCacheBudget {

    private static final double MEMORY_SHARE = 0.25;

    private KvCacheBudget() {}

    public static long bytes(ServedModel model, TributaryProperties.Scheduler scheduler) {
        if (scheduler.kvCacheBudget() != null) {
            return scheduler.kvCacheBudget().toBytes();
        }
        long perPosition = bytesPerPosition(model);
        long wanted = perPosition * model.maxTotalTokens() * scheduler.maxRunning();
        long cap = (long) (physicalMemory() * MEMORY_SHARE);
        // At least one request of the longest context fits, whatever the machine.
        return Math.max(Math.max(1, perPosition * model.maxTotalTokens()), Math.min(wanted, cap));
    }

    /** KV cache bytes one position of one request takes over every expert. */
    public static long bytesPerPosition(ServedModel model) {
        return model.mixture().experts().stream()
                .mapToLong(Expert::kvBytesPerPosition)
                .sum();
    }

    private static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize(); // the container's limit when there is one
        }
        return Runtime.getRuntime().maxMemory();
    }
}
