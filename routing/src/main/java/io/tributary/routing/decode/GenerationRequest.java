package io.tributary.routing.decode;

import io.tributary.routing.Prompt;
import io.tributary.routing.router.Router;
import io.tributary.routing.sampling.SamplingParams;

import java.util.Objects;

/**
 * One request to a mixture.
 *
 * @param router the router for this request, or {@code null} for the mixture's own
 */
public record GenerationRequest(Prompt prompt, SamplingParams sampling, StoppingCriteria stopping, Router router) {

    public GenerationRequest {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(sampling, "sampling");
        Objects.requireNonNull(stopping, "stopping");
    }

    public GenerationRequest(Prompt prompt, SamplingParams sampling, StoppingCriteria stopping) {
        this(prompt, sampling, stopping, null);
    }
}
