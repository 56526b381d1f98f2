package io.tributary.tools;

import io.tributary.model.LoadOptions;
import io.tributary.model.Precision;
import io.tributary.model.Quantization;
import picocli.CommandLine.Option;

import java.util.Locale;

/**
 * The experts' weight format on a command line, as the server's {@code tributary.engine.precision},
 * {@code quantization} and {@code group-size} set it: a mixin of every command that loads experts.
 */
public final class WeightOptions {

    @Option(
            names = "--precision",
            defaultValue = "fp32",
            paramLabel = "P",
            description = "fp32, fp16 or bf16, as tributary.engine.precision (default: ${DEFAULT-VALUE}).")
    Precision precision;

    @Option(
            names = "--quantization",
            defaultValue = "none",
            paramLabel = "Q",
            description = "none, int8 or int4, as tributary.engine.quantization (default: ${DEFAULT-VALUE}).")
    Quantization quantization;

    @Option(
            names = "--group-size",
            defaultValue = "32",
            paramLabel = "N",
            description = "Input features per int4 scale: 32, 64, 128 or 256 (default: ${DEFAULT-VALUE}).")
    int groupSize;

    /** {@code options} with these weights. */
    public LoadOptions applyTo(LoadOptions options) {
        return options.withPrecision(precision).withQuantization(quantization, groupSize);
    }

    /** Bytes a weight element takes in this format, scales left out. */
    public double bytesPerWeight() {
        return switch (quantization) {
            case INT8 -> 1;
            case INT4 -> 0.5;
            case NONE -> precision == Precision.FP32 ? 4 : 2;
        };
    }

    /** The format as a table names it: {@code fp32}, {@code bf16}, {@code int8}, {@code int4 (groups of 32)}. */
    public String label() {
        return switch (quantization) {
            case NONE -> precision.name().toLowerCase(Locale.ROOT);
            case INT8 -> "int8";
            case INT4 -> "int4 (groups of " + groupSize + ")";
        };
    }
}
