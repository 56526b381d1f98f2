package io.tributary.routing;

import java.util.Objects;

/**
 * One session's share of a batched forward pass: run the next {@code positions} of its
 * {@linkplain ExpertSession#pendingPositions() pending positions}.
 *
 * @param scorePrompt whether the prompt positions in this share count towards
 *                    {@link ExpertSession#promptLogLikelihood()}; a session that will be scored must be scored on every
 *                    share of its prompt
 */
public record BatchEntry(ExpertSession session, int positions, boolean scorePrompt) {

    public BatchEntry {
        Objects.requireNonNull(session, "session");
        if (positions < 1) {
            throw new IllegalArgumentException("a batch entry runs at least one position, got " + positions);
        }
    }
}
