package io.tributary.server.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.tributary.remote.tracing.GrpcTracing;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The expert wire's tracing, on the OpenTelemetry that Spring Boot configures (a no-op one without it). */
@Configuration(proxyBeanMethods = false)
class TracingConfiguration {

    @Bean
    GrpcTracing grpcTracing(ObjectProvider<OpenTelemetry> openTelemetry) {
        return new GrpcTracing(openTelemetry.getIfAvailable(OpenTelemetry::noop));
    }
}
