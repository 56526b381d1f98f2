package io.tributary.server.remote;

import io.tributary.remote.client.RemoteExpert;
import io.tributary.server.mixture.ServedModel;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.stereotype.Component;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The remote experts of a gateway in {@code /actuator/health} (not in readiness: a gateway that lost an expert still
 * answers, with the others): UP when each answers, DEGRADED (HTTP 200) when some do not, DOWN when none does. An
 * expert that stopped answering is tried again at each check, so the status recovers when it is back.
 */
@Component("remoteExperts")
class RemoteExpertsHealth implements HealthIndicator {

    static final Status DEGRADED =
            new Status("DEGRADED", "some remote experts do not answer: requests are served by " + "the others");

    private final List<RemoteExpert> experts;

    RemoteExpertsHealth(ServedModel model) {
        this.experts = model.mixture().experts().stream()
                .filter(RemoteExpert.class::isInstance)
                .map(RemoteExpert.class::cast)
                .toList();
    }

    @Override
    public Health health() {
        if (experts.isEmpty()) {
            return Health.up().withDetail("remoteExperts", 0).build();
        }
        Map<String, Object> details = new LinkedHashMap<>();
        int down = 0;
        for (RemoteExpert expert : experts) {
            Optional<String> problem = expert.checkAvailable();
            details.put(
                    expert.name(),
                    problem.map(reason -> "unavailable at " + expert.address() + ": " + reason)
                            .orElse("up at " + expert.address()));
            down += problem.isPresent() ? 1 : 0;
        }
        Status status = down == 0 ? Status.UP : down < experts.size() ? DEGRADED : Status.DOWN;
        return Health.status(status).withDetails(details).build();
    }
}
