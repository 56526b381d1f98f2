package io.tributary.routing.decode;

import io.tributary.routing.ExpertUnavailableException;

import java.util.List;

/** Every expert of a mixture was lost during one generation: nothing is left to answer with. */
public final class AllExpertsLostException extends RuntimeException {

    AllExpertsLostException(List<ExpertUnavailableException> losses) {
        super("every expert of the mixture is unavailable: "
                + String.join(
                        "; ",
                        losses.stream()
                                .map(loss -> "'" + loss.expert() + "' (" + loss.getMessage() + ")")
                                .toList()));
    }
}
