package io.tributary.server.config;

import io.tributary.model.Precision;
import io.tributary.model.WeightLoading;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine settings bind from their documented spellings, and default as the README says. */
class TributaryPropertiesTest {

    private static TributaryProperties bind(Map<String, String> properties) {
        return new Binder(new MapConfigurationPropertySource(properties))
                .bind("tributary", TributaryProperties.class)
                .get();
    }

    @Test
    void engineDefaultsToCpuAutoPrecisionAndMappedWeights() {
        TributaryProperties.Engine engine =
                bind(Map.of("tributary.cache-dir", "/tmp/cache")).engine();
        assertThat(engine.device()).isEqualTo("cpu");
        assertThat(engine.precision()).isEqualTo(Precision.AUTO);
        assertThat(engine.weightLoading()).isEqualTo(WeightLoading.MMAP);
        assertThat(engine.threads()).isEqualTo(1);
    }

    @Test
    void roleRemoteAndExpertServerDefaultAsTheReadmeSaysAndBindFromTheirSpellings() {
        TributaryProperties defaults = bind(Map.of("tributary.cache-dir", "/tmp/cache"));
        assertThat(defaults.role()).isEqualTo(TributaryProperties.Role.GATEWAY);
        assertThat(defaults.remote().callTimeout()).isEqualTo(java.time.Duration.ofSeconds(60));
        assertThat(defaults.remote().compactEpsilon()).isZero();
        assertThat(defaults.remote().startupWait()).isEqualTo(java.time.Duration.ofMinutes(2));
        assertThat(defaults.expertServer().port()).isEqualTo(50051);
        assertThat(defaults.expertServer().sessionLease()).isEqualTo(java.time.Duration.ofSeconds(60));

        TributaryProperties expert = bind(Map.of(
                "tributary.cache-dir",
                "/tmp/cache",
                "tributary.role",
                "expert",
                "tributary.remote.compact-epsilon",
                "0.001",
                "tributary.expert-server.port",
                "6000"));
        assertThat(expert.role()).isEqualTo(TributaryProperties.Role.EXPERT);
        assertThat(expert.remote().compactEpsilon()).isEqualTo(0.001);
        assertThat(expert.expertServer().port()).isEqualTo(6000);
    }

    @Test
    void schedulerDefaultsAsTheReadmeSays() {
        TributaryProperties.Scheduler scheduler =
                bind(Map.of("tributary.cache-dir", "/tmp/cache")).scheduler();
        assertThat(scheduler.maxRunning()).isEqualTo(64);
        assertThat(scheduler.maxWaiting()).isEqualTo(256);
        assertThat(scheduler.maxBatchTokens()).isEqualTo(256);
        assertThat(scheduler.kvCacheBudget())
                .as("sized from the model when unset")
                .isNull();
        assertThat(scheduler.parallelExperts()).as("0: one per core").isZero();
    }

    @Test
    void schedulerSettingsBindFromTheirDocumentedSpellings() {
        TributaryProperties.Scheduler scheduler = bind(Map.of(
                        "tributary.cache-dir",
                        "/tmp/cache",
                        "tributary.scheduler.kv-cache-budget",
                        "4GB",
                        "tributary.scheduler.max-batch-tokens",
                        "64",
                        "tributary.scheduler.parallel-experts",
                        "1"))
                .scheduler();
        assertThat(scheduler.kvCacheBudget().toBytes()).isEqualTo(4L << 30);
        assertThat(scheduler.maxBatchTokens()).isEqualTo(64);
        assertThat(scheduler.parallelExperts()).isEqualTo(1);
    }

    @Test
    void engineSettingsBindFromTheirLowerCaseValues() {
        TributaryProperties.Engine engine = bind(Map.of(
                        "tributary.cache-dir",
                        "/tmp/cache",
                        "tributary.engine.device",
                        "cuda:1",
                        "tributary.engine.precision",
                        "fp16",
                        "tributary.engine.weight-loading",
                        "read"))
                .engine();
        assertThat(engine.device()).isEqualTo("cuda:1");
        assertThat(engine.precision()).isEqualTo(Precision.FP16);
        assertThat(engine.weightLoading()).isEqualTo(WeightLoading.READ);
    }

    @Test
    void limitsDefaultAsTheReadmeSaysAndTheBodyLimitHoldsThemAll() {
        TributaryProperties.Limits limits =
                bind(Map.of("tributary.cache-dir", "/tmp/cache")).limits();
        assertThat(limits.maxInputChars()).isEqualTo(1_000_000);
        assertThat(limits.maxImages()).isEqualTo(8);
        assertThat(limits.maxImageBytes().toBytes()).isEqualTo(20L << 20);
        assertThat(limits.maxImagePixels()).isEqualTo(36_000_000L);
        assertThat(limits.maxRequestBytes())
                .as("follows the other limits when unset")
                .isNull();
        // Eight 20 MiB images in base64 (27,962,028 characters each) and a million characters of text fit.
        long eightImages = 8 * (4L * ((20L << 20) + 2) / 3);
        assertThat(limits.requestBytesLimit())
                .isEqualTo(limits.requiredRequestBytes())
                .isGreaterThan(eightImages + 6 * 1_000_000L)
                .isLessThan(eightImages + 7 * 1_000_000L);
        assertThat(JsonLimitsConfiguration.constraints(limits).getMaxStringLength())
                .as("the JSON parser takes any string the body limit lets through")
                .isGreaterThanOrEqualTo((int) limits.requestBytesLimit());
    }

    @Test
    void anExplicitBodyLimitBindsWhenItHoldsTheOtherLimits() {
        TributaryProperties.Limits limits = bind(Map.of(
                        "tributary.cache-dir",
                        "/tmp/cache",
                        "tributary.limits.max-images",
                        "1",
                        "tributary.limits.max-image-bytes",
                        "1MB",
                        "tributary.limits.max-request-bytes",
                        "16MB"))
                .limits();
        assertThat(limits.requestBytesLimit()).isEqualTo(16L << 20);
        assertThat(limits.requiredRequestBytes()).isLessThan(16L << 20);
    }

    @Test
    void shutdownDrainsForTwentyFiveSecondsByDefault() {
        assertThat(bind(Map.of("tributary.cache-dir", "/tmp/cache")).shutdown().drainTimeout())
                .isEqualTo(Duration.ofSeconds(25));
        assertThat(bind(Map.of("tributary.cache-dir", "/tmp/cache", "tributary.shutdown.drain-timeout", "2m"))
                        .shutdown()
                        .drainTimeout())
                .isEqualTo(Duration.ofMinutes(2));
    }
}
