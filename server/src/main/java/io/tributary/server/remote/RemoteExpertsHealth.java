package io.tributary.server.remote;

import io.tributary.remote.client.RemoteExpert;
import io.tributary.remote.client.ReplicatedExpert;
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
 * answers, with the others), each replica by its address: UP when every replica answers, DEGRADED (HTTP 200) when
 * some do not (an expert with a replica left still serves; one with none is dropped from answers), DOWN when no
 * expert has a replica that answers. A replica that stopped answering is tried again at each check, so the status
 * recovers when it is back; a replica not connected yet (down at start-up, or just found by name) is listed as
 * unavailable until it joins.
 */
@Component("remoteExperts")
class RemoteExpertsHealth implements HealthIndicator {

    static final Status DEGRADED =
            new Status("DEGRADED", "some remote experts or replicas do not answer: requests are served by the others");

    private final List<ReplicatedExpert> experts;

    RemoteExpertsHealth(ServedModel model) {
        this.experts = model.mixture().experts().stream()
                .filter(ReplicatedExpert.class::isInstance)
                .map(ReplicatedExpert.class::cast)
                .toList();
    }

    @Override
    public Health health() {
        if (experts.isEmpty()) {
            return Health.up().withDetail("remoteExperts", 0).build();
        }
        Map<String, Object> details = new LinkedHashMap<>();
        int replicasDown = 0;
        int expertsServing = 0;
        for (ReplicatedExpert expert : experts) {
            Map<String, String> replicas = new LinkedHashMap<>();
            int up = 0;
            for (RemoteExpert replica : expert.replicas()) {
                Optional<String> problem = replica.checkAvailable();
                replicas.put(
                        replica.address(),
                        problem.map(reason -> "unavailable: " + reason).orElse("up"));
                up += problem.isPresent() ? 0 : 1;
            }
            expert.unreached().forEach((address, reason) -> replicas.put(address, "unavailable: " + reason));
            replicasDown += replicas.size() - up;
            expertsServing += up > 0 ? 1 : 0;
            details.put(expert.name(), replicas.size() == 1 ? describe(replicas) : replicas);
        }
        Status status = replicasDown == 0 ? Status.UP : expertsServing > 0 ? DEGRADED : Status.DOWN;
        return Health.status(status).withDetails(details).build();
    }

    /** One replica's state as one line: "up at host:port" or "unavailable at host:port: why". */
    private static String describe(Map<String, String> replicas) {
        var only = replicas.entrySet().iterator().next();
        return only.getValue().equals("up")
                ? "up at " + only.getKey()
                : only.getValue().replaceFirst("^unavailable", "unavailable at " + only.getKey());
    }
}
