package io.tributary.server.startup;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** DJL's GPU probe is quiet on a CPU server, keeps its warnings for a GPU one, and an explicit level wins. */
class CpuDeviceLoggingTest {

    private static StandardEnvironment environment(Map<String, Object> properties) {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("test", properties));
        new CpuDeviceLogging().postProcessEnvironment(environment, new SpringApplication());
        return environment;
    }

    @Test
    void theDefaultCpuDeviceSilencesTheProbesWarnings() {
        assertThat(environment(Map.of()).getProperty(CpuDeviceLogging.PROBE_LOGGER_LEVEL))
                .isEqualTo("error");
    }

    @Test
    void aGpuDeviceKeepsThemBecauseTheyExplainAMissingGpu() {
        assertThat(environment(Map.of("tributary.engine.device", "cuda:0"))
                        .getProperty(CpuDeviceLogging.PROBE_LOGGER_LEVEL))
                .isNull();
    }

    @Test
    void anExplicitLevelWins() {
        assertThat(environment(Map.of(CpuDeviceLogging.PROBE_LOGGER_LEVEL, "debug"))
                        .getProperty(CpuDeviceLogging.PROBE_LOGGER_LEVEL))
                .isEqualTo("debug");
    }
}
