package io.tributary.server.serving;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

import java.util.List;

/**
 * Tributary's addition, present only when it happened: a remote expert's session that moved to another replica of
 * that expert because its replica failed; the answer went on with the same expert, unchanged.
 *
 * @param afterTokens tokens generated before the move
 * @param detail      which replica failed, why, and which took over
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ExpertFailover(String expert, int afterTokens, String detail) {

    public static List<ExpertFailover> of(List<io.tributary.routing.decode.ExpertFailover> failovers) {
        return failovers.stream()
                .map(f -> new ExpertFailover(f.expert(), f.afterTokens(), f.detail()))
                .toList();
    }
}
