package io.tributary.server.config;

import io.tributary.model.Precision;
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

/**
 * The whole configuration of a Tributary server, bound from {@code tributary.*} (or {@code TRIBUTARY_*}
 * environment variables). Each component receives only its own part.
 *
 * @param mixture  the mixture manifest; when absent the embedded default mixture is served
 * @param cacheDir where the embedded default experts are written on first start
 */
@Validated
@ConfigurationProperties("tributary")
public record TributaryProperties(
        Path mixture,
        @NotNull Path cacheDir,
        @Valid @NotNull @DefaultValue Engine engine,
        @Valid @NotNull @DefaultValue Scheduler scheduler,
        @Valid @NotNull @DefaultValue Limits limits) {

    /**
     * Where the experts run.
     *
     * @param device        {@code cpu} or {@code cuda:N}
     * @param precision     {@code fp32} or {@code fp16} (fp16 is meant for GPUs)
     * @param weightLoading {@code mmap} (weights stored in the precision used in place from the page cache) or
     *                      {@code read} (every weight copied into the process's own memory)
     * @param threads       PyTorch intra-op threads for the process; 0 keeps PyTorch's default of one per core
     */
    public record Engine(
            @NotNull @Pattern(regexp = "cpu|cuda:\\d+") @DefaultValue("cpu") String device,
            @NotNull @DefaultValue("fp32") Precision precision,
            @NotNull @DefaultValue("mmap") WeightLoading weightLoading,
            @Min(0) @Max(1024) @DefaultValue("1") int threads) {
    }

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
            @Min(0) @Max(64) @DefaultValue("0") int parallelExperts) {
    }

    /**
     * @param defaultMaxNewTokens used when a request names no {@code max_new_tokens}
     * @param maxNewTokens        the largest {@code max_new_tokens} a request may ask for
     * @param maxInputChars       longer inputs are refused before tokenization
     * @param maxStopSequences    the most stop sequences a request may give
     * @param maxImages           the most images a request may carry
     * @param requestTimeout      a generation still running after this is cancelled
     */
    public record Limits(
            @Min(1) @DefaultValue("100") int defaultMaxNewTokens,
            @Min(1) @DefaultValue("2048") int maxNewTokens,
            @Min(1) @DefaultValue("1000000") int maxInputChars,
            @Min(0) @DefaultValue("4") int maxStopSequences,
            @Min(0) @DefaultValue("8") int maxImages,
            @NotNull @DefaultValue("10m") Duration requestTimeout) {
    }
}
