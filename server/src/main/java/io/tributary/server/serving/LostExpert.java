package io.tributary.server.serving;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;

/**
 * Tributary's addition, present only when it happened: an expert that became unavailable during the generation
 * (a remote expert unreachable or past its deadline), which finished without it, the others' weights renormalised.
 *
 * @param afterTokens tokens generated before it was lost
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record LostExpert(String expert, int afterTokens, String reason) {

    public static List<LostExpert> of(List<io.tributary.routing.decode.LostExpert> lost) {
        return lost.stream()
                .map(l -> new LostExpert(l.expert(), l.afterTokens(), l.reason()))
                .toList();
    }
}
