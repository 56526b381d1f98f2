package io.tributary.server.mixture;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.tributary.model.LoadOptions;
import io.tributary.model.Precision;
import io.tributary.model.Quantization;

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
 *     quantization: int8           # this one's weights in 8 bits (none | int8 | int4), and precision:
 *                                  # fp32 | fp16 | bf16, each instead of the tributary.engine setting
 *   - name: law                  # served by another process: tributary.role=expert
 *     address: law-expert:50051
 * router:
 *   mode: soft                     # uniform | fixed | hard | soft | top-k | posterior | learned
 *   temperature: 21.79             # soft, top-k, posterior: T in softmax(T · cos(f − μ, c_k))
 *   centroids: router/clusters.safetensors
 * }</pre>
 */
public record MixtureManifest(
        @JsonProperty(required = true) String name,
        @JsonProperty(required = true) List<ExpertEntry> experts,
        RouterEntry router) {

    /** A manifest whose experts are the named subdirectories of the manifest's own directory. */
    public static MixtureManifest of(String name, RouterEntry router, String... expertDirectories) {
        List<ExpertEntry> experts = Arrays.stream(expertDirectories)
                .map(directory -> new ExpertEntry(directory, directory))
                .toList();
        return new MixtureManifest(name, experts, router);
    }

    /**
     * One expert: a checkpoint directory served in this process, or the address of an expert server (a process
     * started with {@code tributary.role=expert}) that hosts an expert of this name. Exactly one of the two.
     *
     * @param address   {@code host:port} of the expert's gRPC endpoint
     * @param tls       for an expert given by address: TLS to this expert instead of {@code tributary.remote.tls}
     *                  (experts of different organisations have different authorities and accept different
     *                  client certificates)
     * @param tokenFile for an expert given by address: a file holding the bearer token for this expert instead of
     *                  {@code tributary.remote.token} (a mounted secret; the token itself stays out of the manifest)
     * @param precision    for a checkpoint served here: its precision instead of {@code tributary.engine.precision}
     * @param quantization for a checkpoint served here: instead of {@code tributary.engine.quantization}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ExpertEntry(
            @JsonProperty(required = true) String name,
            String path,
            String address,
            Tls tls,
            @JsonProperty("token_file") String tokenFile,
            Precision precision,
            Quantization quantization) {

        public ExpertEntry(String name, String path) {
            this(name, path, null, null, null);
        }

        public ExpertEntry(String name, String path, String address, Tls tls, String tokenFile) {
            this(name, path, address, tls, tokenFile, null, null);
        }

        /** The load options for this expert: the server's, with this entry's precision and quantization. */
        public LoadOptions options(LoadOptions server) {
            return server.withPrecision(precision == null ? server.precision() : precision)
                    .withQuantization(quantization == null ? server.quantization() : quantization, server.groupSize());
        }

        public static ExpertEntry remote(String name, String address) {
            return new ExpertEntry(name, null, address, null, null);
        }

        @JsonIgnore
        public boolean isRemote() {
            return address != null;
        }
    }

    /**
     * TLS to one remote expert; file paths are relative to the manifest.
     *
     * @param ca          PEM authorities that signed the expert's certificate; {@code null}: the JVM's
     * @param certificate the gateway's PEM client certificate for this expert, with {@code privateKey}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Tls(
            String ca,
            String certificate,
            @JsonProperty("private_key") String privateKey) {}

    /**
     * The routing mode and its settings; file paths are relative to the manifest. {@link ManifestReader} checks
     * them, with the key of each mistake.
     *
     * @param mode       uniform (the default when the manifest names none), fixed, hard, soft, top-k, posterior,
     *                   learned
     * @param centroids  safetensors with {@code centroids} [K, d], {@code global_mean} [d], optional {@code priors}
     * @param classifier safetensors with {@code layers.N.weight} / {@code layers.N.bias}, for {@code learned}
     * @param featureExtractor a CLIP vision checkpoint directory: the router's image features
     * @param fineToCoarse     the paper's two-stage {@code .npy} mapping of each fine centroid to its expert; then
     *                         {@code centroids} names the fine centroids
     * @param featureNormalization l2 or none: whether a feature is L2-normalised before routing; absent: what the
     *                         centroids file implies
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RouterEntry(
            String mode,
            List<Double> weights,
            Double temperature,
            @JsonProperty("top_k") Integer topK,
            List<Double> priors,
            String centroids,
            String classifier,
            @JsonProperty("feature_extractor") String featureExtractor,
            @JsonProperty("fine_to_coarse") String fineToCoarse,
            @JsonProperty("feature_normalization") String featureNormalization) {

        public RouterEntry(
                String mode,
                List<Double> weights,
                Double temperature,
                Integer topK,
                List<Double> priors,
                String centroids,
                String classifier,
                String featureExtractor) {
            this(mode, weights, temperature, topK, priors, centroids, classifier, featureExtractor, null, null);
        }

        public static RouterEntry of(String mode, Double... weights) {
            return new RouterEntry(
                    mode, weights.length == 0 ? null : List.of(weights), null, null, null, null, null, null);
        }
    }
}
