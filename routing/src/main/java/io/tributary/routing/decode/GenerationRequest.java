package io.tributary.routing.decode;

import io.tributary.routing.Prompt;
import io.tributary.routing.constraint.OutputConstraint;
import io.tributary.routing.router.Router;
import io.tributary.routing.sampling.SamplingParams;

import java.util.Objects;

/**
 * One request to a mixture.
 *
 * @param router    the router for this request, or {@code null} for the mixture's own
 * @param topTokens       how many of the most likely tokens to report with each generated token (0: none)
 * @param promptLogProbs  whether to report each prompt token's log-probability under the mixture (TGI's
 *                        {@code decoder_input_details})
 * @param constraint      the language the output must belong to, or {@code null} for any text
 */
public record GenerationRequest(
        Prompt prompt,
        SamplingParams sampling,
        StoppingCriteria stopping,
        Router router,
        int topTokens,
        boolean promptLogProbs,
        OutputConstraint constraint) {

    public GenerationRequest {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(sampling, "sampling");
        Objects.requireNonNull(stopping, "stopping");
        if (topTokens < 0) {
            throw new IllegalArgumentException("topTokens must not be negative, got " + topTokens);
        }
    }

    public GenerationRequest(
            Prompt prompt,
            SamplingParams sampling,
            StoppingCriteria stopping,
            Router router,
            int topTokens,
            boolean promptLogProbs) {
        this(prompt, sampling, stopping, router, topTokens, promptLogProbs, null);
    }

    public GenerationRequest(Prompt prompt, SamplingParams sampling, StoppingCriteria stopping, Router router) {
        this(prompt, sampling, stopping, router, 0, false);
    }

    /** This request with its output held to {@code constraint} ({@code null}: any text). */
    public GenerationRequest withConstraint(OutputConstraint constraint) {
        return new GenerationRequest(prompt, sampling, stopping, router, topTokens, promptLogProbs, constraint);
    }

    public GenerationRequest(Prompt prompt, SamplingParams sampling, StoppingCriteria stopping) {
        this(prompt, sampling, stopping, null);
    }
}
