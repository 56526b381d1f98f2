package io.tributary.server.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Makes the scrape pass {@code promtool check metrics}: help text for the framework's meters that come without
 * one, and no names that Prometheus' conventions reject (abbreviated units such as {@code _ms}, a gauge ending in
 * {@code _count}). The meters left out repeat others: {@code process_cpu_usage}, {@code jvm_gc_*}.
 */
@Configuration(proxyBeanMethods = false)
class PrometheusHygiene {

    private static final Map<String, String> HELP = Map.of(
            "http.server.requests", "HTTP requests handled, by route, method and status",
            "http.server.requests.active", "HTTP requests in progress",
            "tomcat.sessions.active.current", "Servlet sessions active now",
            "tomcat.sessions.active.max", "Most servlet sessions active at once",
            "tomcat.sessions.alive.max", "Longest time a servlet session was alive",
            "tomcat.sessions.created", "Servlet sessions created",
            "tomcat.sessions.expired", "Servlet sessions expired",
            "tomcat.sessions.rejected", "Servlet sessions rejected");
    private static final Set<String> DENIED = Set.of("jvm.compilation.time", "process.cpu.time");
    private static final Map<String, String> RENAMED = Map.of("system.cpu.count", "system.cpu.cores");

    @Bean
    MeterFilter prometheusNaming() {
        return new MeterFilter() {
            @Override
            public MeterFilterReply accept(Meter.Id id) {
                return DENIED.contains(id.getName()) ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
            }

            @Override
            public Meter.Id map(Meter.Id id) {
                String name = RENAMED.getOrDefault(id.getName(), id.getName());
                String description = id.getDescription() != null ? id.getDescription() : HELP.get(id.getName());
                if (name.equals(id.getName()) && Objects.equals(description, id.getDescription())) {
                    return id;
                }
                return new Meter.Id(name, Tags.of(id.getTagsAsIterable()), id.getBaseUnit(), description, id.getType());
            }
        };
    }
}
