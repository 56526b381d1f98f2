package io.tributary.server.config;

import io.tributary.model.Precision;
import io.tributary.model.Quantization;
import io.tributary.model.WeightLoading;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The whole configuration of a Tributary server, bound from {@code tributary.*} (or {@code TRIBUTARY_*}
 * environment variables). Each component receives only its own part.
 *
 * @param mixture  the mixture manifest; when absent the embedded default mixture is served
 * @param cacheDir where the embedded default experts are written on first start
 * @param chatTemplate a Jinja chat template file to use instead of the checkpoints' own
 * @param shutdown how the server stops
 * @param security who may call the API and what it may make the server fetch
 * @param role     {@code gateway} serves the HTTP API over the manifest's experts (local or remote);
 *                 {@code expert} serves the manifest's experts to gateways over gRPC instead
 * @param remote   how a gateway talks to experts the manifest names by address
 * @param expertServer the gRPC endpoint of the expert role
 */
@Validated
@ConfigurationProperties("tributary")
public record TributaryProperties(
        Path mixture,
        @NotNull Path cacheDir,
        Path chatTemplate,
        @Valid @NotNull @DefaultValue Engine engine,
        @Valid @NotNull @DefaultValue Scheduler scheduler,
        @Valid @NotNull @DefaultValue Limits limits,
        @Valid @NotNull @DefaultValue Shutdown shutdown,
        @Valid @NotNull @DefaultValue Security security,
        @NotNull @DefaultValue("gateway") Role role,
        @Valid @NotNull @DefaultValue Remote remote,
        @Valid @NotNull @DefaultValue ExpertServer expertServer) {

    public enum Role {
        GATEWAY,
        EXPERT
    }

    /**
     * @param callTimeout    deadline of one call to a remote expert (a batched step, an open); one that misses it
     *                       counts as failed
     * @param token          a bearer token sent on every call to a remote expert
     * @param startupWait    how long start-up waits for a remote expert that does not answer yet (pods start in any
     *                       order)
     * @param compactEpsilon 0: exact distributions on the wire (the default: greedy decoding is then identical to
     *                       in-process experts); above 0, the probability mass each expert may leave out, the mixed
     *                       distribution then differing from the exact one by a total variation of at most this much
     * @param replicaRefresh how often replicas that did not answer are tried again, and a {@code dns:///} address
     *                       resolved again (replicas it adds join, replicas it drops are retired)
     */
    public record Remote(
            @NotNull @DefaultValue("60s") Duration callTimeout,

            @jakarta.validation.constraints.DecimalMin("0")
            @jakarta.validation.constraints.DecimalMax(value = "1", inclusive = false)
            @DefaultValue("0")
            double compactEpsilon,

            @Valid @NotNull @DefaultValue ClientTls tls,
            String token,
            @NotNull @DefaultValue("2m") Duration startupWait,
            @NotNull @DefaultValue("10s") Duration replicaRefresh) {}

    /**
     * TLS from a gateway to its remote experts.
     *
     * @param enabled     use TLS (implied by any file below)
     * @param ca          PEM certificates of the authorities that signed the experts' certificates; unset: the JVM's
     * @param certificate the gateway's PEM client certificate chain, for experts that require one
     * @param privateKey  its PEM private key (PKCS#8)
     */
    public record ClientTls(@DefaultValue("false") boolean enabled, Path ca, Path certificate, Path privateKey) {}

    /**
     * TLS of the expert role's gRPC endpoint.
     *
     * @param certificate PEM certificate chain; unset: plaintext
     * @param privateKey  its PEM private key (PKCS#8)
     * @param clientCa    PEM certificates of the authorities whose client certificates are accepted; set, every
     *                    gateway must present one (mutual TLS)
     */
    public record ServerTls(Path certificate, Path privateKey, Path clientCa) {}

    /**
     * @param port         the gRPC port of the expert role
     * @param sessionLease how long a session lives without a step or keep-alive from its gateway (a gateway that
     *                     vanished leaves no KV cache behind for longer)
     * @param threads      threads that run gateways' calls (passes of different experts run side by side)
     * @param token        a bearer token every gateway call must carry (the health service needs none)
     * @param maxSessions  sessions open at once over all gateways; beyond, opens are refused (RESOURCE_EXHAUSTED)
     *                     and a gateway tries another replica or goes on without the expert
     * @param maxQueuedSteps steps that may wait for an expert while it runs another; beyond, steps are refused and
     *                     gateways send them again after a pause, within their call timeout
     */
    public record ExpertServer(
            @Min(0) @Max(65535) @DefaultValue("50051") int port,
            @NotNull @DefaultValue("60s") Duration sessionLease,
            @Min(1) @Max(256) @DefaultValue("4") int threads,
            @Valid @NotNull @DefaultValue ServerTls tls,
            String token,
            @Min(1) @DefaultValue("1024") int maxSessions,
            @Min(0) @DefaultValue("16") int maxQueuedSteps) {}

    /**
     * Where the experts run.
     *
     * @param device        {@code cpu} or {@code cuda:N}
     * @param precision     {@code auto} (the checkpoint's own type where the device computes in it, see
     *                      {@link io.tributary.model.AutoPrecision}), {@code fp32}, {@code fp16} (meant for GPUs) or
     *                      {@code bf16} (the decoders' linear layers and embedding in bfloat16, through oneDNN; the
     *                      rest float32)
     * @param quantization  {@code none}, or the decoders' linear layers rounded at load to {@code int8} (a scale
     *                      per output row) or {@code int4} (a scale per group of input features); CPU only
     * @param weightLoading {@code mmap} (weights stored in the precision used in place from the page cache) or
     *                      {@code read} (every weight copied into the process's own memory)
     * @param threads       PyTorch intra-op threads for the process; 0 keeps PyTorch's default of one per core
     * @param groupSize     input features per int4 scale: 32 (llama.cpp's Q4_0), 64, 128 (AWQ's) or 256
     * @param kvBlockSize   positions per block of each expert's paged KV cache (vLLM's {@code --block-size})
     * @param prefixCache   whether full KV cache blocks are kept after their request and reused by prompts that
     *                      start the same way (a repeated image, a chat's next turn, a shared system prompt)
     * @param prefixCacheSize KV cache each expert keeps for reuse when no request holds it, least recently used
     *                      dropped first
     */
    public record Engine(
            @NotNull
            @Pattern(regexp = "cpu|cuda:\\d+", message = "must be cpu or cuda:N (e.g. cuda:0)")
            @DefaultValue("cpu")
            String device,

            @NotNull @DefaultValue("auto") Precision precision,
            @NotNull @DefaultValue("mmap") WeightLoading weightLoading,
            @Min(0) @Max(1024) @DefaultValue("1") int threads,
            @NotNull @DefaultValue("none") Quantization quantization,
            @DefaultValue("32") int groupSize,
            @Min(1) @Max(1024) @DefaultValue("16") int kvBlockSize,
            @DefaultValue("true") boolean prefixCache,
            @NotNull @DefaultValue("256MB") DataSize prefixCacheSize) {}

    /**
     * @param maxRunning     requests decoded together, one batched step for all of them
     * @param maxWaiting     requests queued behind them before new ones are refused with 429
     * @param maxBatchTokens positions one step may run over all experts: every running request's next token, then
     *                       chunks of prompts being prefilled up to this budget
     * @param kvCacheBudget  KV cache the running requests may reserve together (prompt plus max_new_tokens each,
     *                       every expert); unset: room for {@code maxRunning} requests of the longest context, at
     *                       most a quarter of the machine's memory
     * @param parallelExperts experts whose passes of one step run at once, each on its own thread; 0: one per core
     */
    public record Scheduler(
            @Min(1) @Max(4096) @DefaultValue("64") int maxRunning,
            @Min(0) @DefaultValue("256") int maxWaiting,
            @Min(1) @DefaultValue("256") int maxBatchTokens,
            DataSize kvCacheBudget,
            @Min(0) @Max(64) @DefaultValue("0") int parallelExperts) {}

    /**
     * What one request may ask for. Each limit's error names its setting; the constants below are those names.
     *
     * @param defaultMaxNewTokens used when a request names no {@code max_new_tokens}
     * @param maxNewTokens        the largest {@code max_new_tokens} a request may ask for
     * @param maxInputChars       characters of text in {@code inputs}, inline images not counted (they have their
     *                            own limits); longer inputs are refused before tokenization
     * @param maxStopSequences    the most stop sequences a request may give
     * @param maxImages           the most images a request may carry
     * @param maxImageBytes       the largest image file, decoded from its base64 data URI
     * @param maxImagePixels      the largest width x height of an image, read from its header before decoding
     * @param maxRequestBytes     the largest request body; unset: what the limits above need
     *                            ({@link #requiredRequestBytes()}); set lower than that, start-up fails
     * @param requestTimeout      a generation still running after this is cancelled
     */
    public record Limits(
            @Min(1) @DefaultValue("100") int defaultMaxNewTokens,
            @Min(1) @DefaultValue("2048") int maxNewTokens,
            @Min(1) @DefaultValue("1000000") int maxInputChars,
            @Min(0) @DefaultValue("4") int maxStopSequences,
            @Min(0) @DefaultValue("8") int maxImages,
            @NotNull @DefaultValue("20MB") DataSize maxImageBytes,
            @Min(1) @DefaultValue("36000000") long maxImagePixels,
            DataSize maxRequestBytes,
            @NotNull @DefaultValue("10m") Duration requestTimeout) {

        public static final String MAX_NEW_TOKENS = "tributary.limits.max-new-tokens";
        public static final String MAX_INPUT_CHARS = "tributary.limits.max-input-chars";
        public static final String MAX_STOP_SEQUENCES = "tributary.limits.max-stop-sequences";
        public static final String MAX_IMAGES = "tributary.limits.max-images";
        public static final String MAX_IMAGE_BYTES = "tributary.limits.max-image-bytes";
        public static final String MAX_IMAGE_PIXELS = "tributary.limits.max-image-pixels";
        public static final String MAX_REQUEST_BYTES = "tributary.limits.max-request-bytes";
        public static final String REQUEST_TIMEOUT = "tributary.limits.request-timeout";

        /** Room for the parameters and the JSON around {@code inputs}. */
        static final long PARAMETERS_BYTES = 64 * 1024;
        /** {@code ![](data:image/jpeg;base64,)} and a margin for media-type parameters. */
        static final long IMAGE_MARKUP_BYTES = 128;

        public Limits {
            if (maxRequestBytes != null
                    && maxImageBytes != null
                    && maxRequestBytes.toBytes() < requiredRequestBytes(maxInputChars, maxImages, maxImageBytes)) {
                throw new InvalidSettingException(
                        MAX_REQUEST_BYTES,
                        maxRequestBytes.toBytes() + " bytes is less "
                                + "than a request within the other limits may need: "
                                + requiredRequestBytes(maxInputChars, maxImages, maxImageBytes) + " bytes for "
                                + maxImages
                                + " images (" + MAX_IMAGES + ") of " + maxImageBytes.toBytes() + " bytes ("
                                + MAX_IMAGE_BYTES
                                + "), base64-encoded, and " + maxInputChars + " characters of text (" + MAX_INPUT_CHARS
                                + "), so requests within those limits would be refused",
                        "Raise " + MAX_REQUEST_BYTES + ", lower the limits it must hold, or leave it unset: it then "
                                + "follows them.",
                        null);
            }
        }

        /**
         * The body a request within the other limits may need: every image at its largest, base64-encoded (4 bytes
         * per 3) in its data URI, the text at 6 bytes a character (the worst JSON escape, {@code \u0000}), and the
         * parameters. About 220 MiB with the defaults, most of it eight 20 MiB images.
         */
        public long requiredRequestBytes() {
            return requiredRequestBytes(maxInputChars, maxImages, maxImageBytes);
        }

        /** The request body limit in force: the setting, or what the other limits need. */
        public long requestBytesLimit() {
            return maxRequestBytes != null ? maxRequestBytes.toBytes() : requiredRequestBytes();
        }

        private static long requiredRequestBytes(int maxInputChars, int maxImages, DataSize maxImageBytes) {
            long base64 = (maxImageBytes.toBytes() + 2) / 3 * 4;
            return maxImages * (base64 + IMAGE_MARKUP_BYTES) + 6L * maxInputChars + PARAMETERS_BYTES;
        }
    }

    /**
     * @param drainTimeout on shutdown, how long running and queued generations may take to finish while new ones
     *                     are refused with 503 and readiness reports OUT_OF_SERVICE; those still running then are
     *                     cancelled. Keep it below the orchestrator's grace period (Kubernetes'
     *                     {@code terminationGracePeriodSeconds}, 30 s by default)
     */
    public record Shutdown(@NotNull @DefaultValue("25s") Duration drainTimeout) {

        public static final String DRAIN_TIMEOUT = "tributary.shutdown.drain-timeout";
    }

    /**
     * @param apiKey             when set, every API route asks for {@code Authorization: Bearer <apiKey>}; health,
     *                           metrics, the playground page and the contract stay open
     * @param corsAllowedOrigins origins whose browser pages may call the API (none by default)
     * @param remoteImages       fetching images given by {@code http(s)} URL instead of inline data
     */
    public record Security(
            String apiKey,
            @NotNull @DefaultValue List<String> corsAllowedOrigins,
            @Valid @NotNull @DefaultValue RemoteImages remoteImages) {

        public static final String API_KEY = "tributary.security.api-key";

        public Security {
            if (apiKey != null && apiKey.isBlank()) {
                throw new InvalidSettingException(
                        API_KEY, "is blank", "Set a key, or leave the setting out to " + "serve without one.", null);
            }
        }
    }

    /**
     * Images by URL are off by default: a server that fetches any URL a client names can be made to call anything
     * it can reach. When on, only the listed hosts are fetched, never an address on the loopback, link-local or
     * private networks, without following redirects, within a size cap and a timeout.
     *
     * @param allowedHosts host names (exact, or {@code *.example.com} for its subdomains) images may come from
     */
    public record RemoteImages(
            @DefaultValue("false") boolean enabled,
            @NotNull @DefaultValue List<String> allowedHosts,
            @NotNull @DefaultValue("20MB") DataSize maxBytes,
            @NotNull @DefaultValue("10s") Duration timeout) {

        public static final String ENABLED = "tributary.security.remote-images.enabled";
        public static final String ALLOWED_HOSTS = "tributary.security.remote-images.allowed-hosts";

        public RemoteImages {
            if (enabled && (allowedHosts == null || allowedHosts.isEmpty())) {
                throw new InvalidSettingException(
                        ALLOWED_HOSTS,
                        "is empty while " + ENABLED + " is true",
                        "List the hosts images may be fetched from, or turn remote images off.",
                        null);
            }
        }
    }
}
