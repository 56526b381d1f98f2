package io.tributary.tools.bench;

import io.tributary.model.decoder.BatchDecoder;
import io.tributary.model.decoder.DecoderExpert;
import io.tributary.model.decoder.KvCacheSettings;
import io.tributary.routing.Expert;
import picocli.CommandLine.Command;

import java.util.List;

/** The benchmarks: each measures one thing on this machine and prints a table; none is a test. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        subcommands = {
            ServingBenchmark.class,
            DecodeStepBenchmark.class,
            MixtureBenchmark.class,
            RemoteWireBenchmark.class,
            SharedEncoderBenchmark.class,
            StackedExpertsBenchmark.class,
            RealShapeBenchmark.class,
            LlavaSevenBBenchmark.class,
            WeightLoadingBenchmark.class,
            WeightFormatsBenchmark.class,
            MixtureMemoryBenchmark.class,
            PrefixCacheBenchmark.class,
            PagedAttentionBenchmark.class,
            SamplingBenchmark.class,
            StructuredOutputBenchmark.class
        },
        description = "Measure serving, decoding, mixing, the wire and weight loading on this machine: each"
                + " sub-command prints a table.")
public final class Benchmarks {

    /**
     * KV cache settings with prefix reuse off: a benchmark that repeats a prompt measures its computation, which
     * reused blocks would skip.
     */
    static final KvCacheSettings NO_PREFIX_REUSE =
            new KvCacheSettings(KvCacheSettings.DEFAULT.blockPositions(), false, 0);

    private Benchmarks() {}

    /** The median of {@code values}: the middle one, or the mean of the two middle ones. */
    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** {@code decoder} with prefix reuse off (see {@link #NO_PREFIX_REUSE}). */
    static BatchDecoder computingEverything(BatchDecoder decoder) {
        decoder.configure(NO_PREFIX_REUSE);
        return decoder;
    }

    /** {@code expert} with prefix reuse off, when it keeps a KV cache here. */
    static <E extends Expert> E computingEverything(E expert) {
        if (expert instanceof DecoderExpert decoder) {
            computingEverything(decoder.batchDecoder());
        }
        return expert;
    }
}
