package io.tributary.tools.bench;

import picocli.CommandLine.Command;

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
            PrefixCacheBenchmark.class
        },
        description = "Measure serving, decoding, mixing, the wire and weight loading on this machine: each"
                + " sub-command prints a table.")
public final class Benchmarks {

    private Benchmarks() {}
}
