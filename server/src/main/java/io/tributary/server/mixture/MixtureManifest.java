package io.tributary.server.mixture;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Arrays;

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

    /** A manifest whose experts are the named subdirectories of the manifest's own directory. */
    public static MixtureManifest of(String name, RouterEntry router, String... expertDirectories) {
        List<ExpertEntry> experts = Arrays.stream(expertDirectories)
                .map(directory -> new ExpertEntry(directory, directory)).toList();
        return new MixtureManifest(name, experts, router);
    }

    /** One expert: a checkpoint directory. */
    public record ExpertEntry(@JsonProperty(required = true) String name,
                              @JsonProperty(required = true) String path) {
    }

    /** The routing mode and its settings. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RouterEntry(@JsonProperty(required = true) String mode, List<Double> weights) {

        public static RouterEntry of(String mode, Double... weights) {
            return new RouterEntry(mode, weights.length == 0 ? null : List.of(weights));
        }
    }
}
