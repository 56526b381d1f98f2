package io.tributary.server.startup;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

import java.util.Map;

/**
 * Keeps DJL's GPU probe quiet on a server that runs on the CPU. To pick its native libraries, DJL asks the CUDA
 * runtime for the GPU count whatever device is configured, and warns ("Failed to detect GPU count: CUDA driver
 * version is insufficient ...") on a machine that has a CUDA runtime but no usable driver, several times per start.
 * With {@code tributary.engine.device=cpu} the answer changes nothing, so the probe's logger is set to errors only;
 * with a {@code cuda:N} device its warnings stay, as they explain a missing GPU. An explicit
 * {@code logging.level.ai.djl.util.cuda.CudaUtils} still wins: this default is added last.
 */
public final class CpuDeviceLogging implements EnvironmentPostProcessor {

    static final String PROBE_LOGGER_LEVEL = "logging.level.ai.djl.util.cuda.CudaUtils";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if ("cpu".equals(environment.getProperty("tributary.engine.device", "cpu"))) {
            environment
                    .getPropertySources()
                    .addLast(new MapPropertySource("tributaryCpuDeviceLogging", Map.of(PROBE_LOGGER_LEVEL, "error")));
        }
    }
}
