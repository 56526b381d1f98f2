package io.tributary.routing.router;

import io.tributary.routing.Prompt;
import io.tributary.routing.refusal.ImageRefusedException;

import java.util.Optional;

/**
 * The router's view of a request: a feature vector of its images (the paper routes on CLIP image features).
 * Runs on the decoding thread, once per request.
 */
@FunctionalInterface
public interface FeatureExtractor {

    /**
     * The feature of the prompt's images (their mean when there are several); empty for a text-only prompt.
     *
     * @throws ImageRefusedException when an image cannot be read
     */
    Optional<float[]> extract(Prompt prompt);

    /** For mixtures without an image router: every prompt reads as text-only. */
    FeatureExtractor NONE = prompt -> Optional.empty();
}
