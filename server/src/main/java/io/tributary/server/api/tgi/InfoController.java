package io.tributary.server.api.tgi;

import io.tributary.routing.decode.DecodeScheduler;
import io.tributary.server.config.TributaryProperties;
import io.tributary.server.lifecycle.AdmissionGate;
import io.tributary.server.mixture.ServedModel;
import io.tributary.server.serving.KvCacheBudget;
import io.tributary.server.serving.TributaryVersion;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;

/** TGI's {@code GET /info} and {@code GET /health}, describing the mixture instead of a single model. */
@RestController
class InfoController {

    private final ServedModel model;
    private final TributaryProperties properties;

    private final DecodeScheduler scheduler;
    private final AdmissionGate admission;

    InfoController(
            ServedModel model, TributaryProperties properties, DecodeScheduler scheduler, AdmissionGate admission) {
        this.model = model;
        this.properties = properties;
        this.scheduler = scheduler;
        this.admission = admission;
    }

    @GetMapping("/info")
    Info info() {
        DecodeScheduler.Limits limits = scheduler.limits();
        TributaryProperties.Engine engine = properties.engine();
        String dtype = switch (engine.precision()) {
            case FP32 -> "float32";
            case FP16 -> "float16";
            case BF16 -> "bfloat16";
            case AUTO -> "auto"; // per checkpoint: each expert's log line says what it became
        };
        long perPosition = KvCacheBudget.bytesPerPosition(model);
        return new Info(
                model.name(),
                dtype,
                engine.device(),
                limits.maxRunning() + limits.maxWaiting(),
                model.maxTotalTokens() - 1,
                model.maxTotalTokens(),
                properties.limits().maxNewTokens(),
                properties.limits().maxStopSequences(),
                limits.maxRunning(),
                limits.maxBatchTokens(),
                limits.kvBudgetBytes(),
                scheduler.kvUsedBytes(),
                perPosition,
                perPosition == 0 ? null : limits.kvBudgetBytes() / perPosition,
                model.expertNames(),
                model.mixture().router().mode(),
                model.routers().availableModes(),
                TributaryVersion.current());
    }

    /**
     * Answers 200 once the mixture is loaded (the server does not listen before that), 503 while it drains for
     * shutdown, so that load balancers probing TGI's route stop sending work as readiness probes do.
     */
    @GetMapping("/health")
    ResponseEntity<Void> health() {
        return admission.isOpen()
                ? ResponseEntity.ok().build()
                : ResponseEntity.status(503).build();
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Info(
            String modelId,
            String modelDtype,
            String modelDeviceType,
            int maxConcurrentRequests,
            int maxInputTokens,
            int maxTotalTokens,
            int maxNewTokens,
            int maxStopSequences,
            int maxBatchSize,
            int maxBatchPrefillTokens,
            long kvCacheBudgetBytes,
            long kvCacheUsedBytes,
            long kvCacheBytesPerToken,
            Long maxBatchTotalTokens,
            List<String> experts,
            String router,
            List<String> routingModes,
            String version) {}
}
