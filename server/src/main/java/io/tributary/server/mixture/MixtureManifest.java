package io.tributary.server.mixture;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * The file that names a mixture's experts and its router (YAML or JSON):
 *
 * <pre>{@code
 * name: my-mixture
 * experts:
 *   - name: cooking
 *     path: experts/cooking        # a Hugging Face checkpoint directory, relative to this file
 *   - name: astronomy
 *     path: /models/astronomy
 * router:
 *   mode: fixed                    # uniform | fixed
 *   weights: [0.7, 0.3]            # fixed only, one per expert
 * }</pre>
 */
public record MixtureManifest(
        @JsonProperty(required = true) String name,
        @JsonProperty(required = true) List<ExpertEntry> experts,
        RouterEntry router) {

    /** One expert: a checkpoint directory. */
    public record ExpertEntry(@JsonProperty(required = true) String name,
                              @JsonProperty(required = true) String path) {
    }

    /** The routing mode and its settings. */
    public record RouterEntry(@JsonProperty(required = true) String mode, List<Double> weights) {
    }
}
