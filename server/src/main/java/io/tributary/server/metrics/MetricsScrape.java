package io.tributary.server.metrics;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * The Prometheus scrape at {@code /metrics}, where vLLM, TGI and SGLang serve theirs and where Prometheus and the
 * Gateway API's endpoint picker look by default; {@code /actuator/prometheus} serves the same. OpenMetrics when the
 * scraper asks for it, Prometheus' text format otherwise.
 */
@RestController
class MetricsScrape {

    static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPEN_METRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private final PrometheusMeterRegistry registry;

    MetricsScrape(PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    @GetMapping("/metrics")
    ResponseEntity<String> scrape(@RequestHeader(value = HttpHeaders.ACCEPT, required = false) String accept) {
        String format = accept != null && accept.contains("application/openmetrics-text") ? OPEN_METRICS : TEXT;
        return ResponseEntity.ok().header(HttpHeaders.CONTENT_TYPE, format).body(registry.scrape(format));
    }
}
