package io.tributary.server.expert;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.tributary.remote.host.ExpertHostServer;
import io.tributary.remote.tracing.GrpcTracing;
import io.tributary.server.config.TributaryProperties;
import io.tributary.server.mixture.HostedExperts;
import io.tributary.server.mixture.LinkSecurity;
import io.tributary.server.mixture.MixtureLoader;
import io.tributary.server.mixture.ServedModel;
import io.tributary.server.serving.DecodeThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The expert role ({@code tributary.role=expert}): the manifest's experts are served to gateways over gRPC (with
 * the gRPC health service) on {@code tributary.expert-server.port}; the HTTP port keeps only the actuator.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(prefix = "tributary", name = "role", havingValue = "expert")
class ExpertRoleConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(ExpertRoleConfiguration.class);

    @Bean(destroyMethod = "close")
    ExpertHostServer expertHostServer(
            ServedModel model,
            MixtureLoader.Checked checked,
            TributaryProperties properties,
            DecodeThreads threads,
            GrpcTracing tracing) {
        TributaryProperties.ExpertServer settings = properties.expertServer();
        ExpertHostServer server = new ExpertHostServer(
                        HostedExperts.of(model, checked),
                        new ExpertHostServer.Settings(
                                settings.port(),
                                settings.sessionLease(),
                                settings.threads(),
                                LinkSecurity.expertServer(settings),
                                new ExpertHostServer.Admission(settings.maxSessions(), settings.maxQueuedSteps())),
                        threads,
                        tracing)
                .start();
        LOG.info("serving experts {} to gateways over gRPC on port {}", model.expertNames(), server.port());
        return server;
    }

    /** What the expert server refused for being full, by what was full. */
    @Bean
    MeterBinder expertServerRefusals(ExpertHostServer server) {
        return registry -> {
            FunctionCounter.builder("tributary.expert_server_refusals", server, ExpertHostServer::refusedSessions)
                    .description("Gateway calls this expert server refused for being full")
                    .tag("reason", "sessions")
                    .register(registry);
            FunctionCounter.builder("tributary.expert_server_refusals", server, ExpertHostServer::refusedSteps)
                    .description("Gateway calls this expert server refused for being full")
                    .tag("reason", "queued_steps")
                    .register(registry);
            Gauge.builder("tributary.expert_server_sessions", server, ExpertHostServer::openSessions)
                    .description("Sessions gateways hold open on this expert server")
                    .register(registry);
        };
    }

    @Bean
    HealthIndicator expertServer(ExpertHostServer server) {
        return () -> Health.up()
                .withDetail("grpcPort", server.port())
                .withDetail("openSessions", server.openSessions())
                .build();
    }

    @Bean
    ExpertRoleFilter expertRoleFilter(ExpertHostServer server, tools.jackson.databind.json.JsonMapper json) {
        return new ExpertRoleFilter(server.port(), json);
    }
}
