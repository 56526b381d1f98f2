package io.tributary.tools.router;

import io.tributary.tools.train.synthetic.SyntheticTask;
import io.tributary.tools.train.synthetic.SyntheticTask.Split;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Writes the synthetic task (32×32 shapes, digits, colours and bars, each with a question) as LLaVA JSON: data to
 * train tiny experts on, whose four domains the image features should cluster back apart.
 */
@Command(
        name = "synthetic-data",
        mixinStandardHelpOptions = true,
        description = "Write a deterministic synthetic image-question task in LLaVA's JSON layout.")
final class SyntheticDataCommand implements Callable<Integer> {

    @Option(
            names = {"-o", "--out"},
            required = true,
            description = "Output directory: images/, train.json, validation.json, test.json.")
    Path out;

    @Option(
            names = "--seed",
            defaultValue = "7",
            description = "Seed; the same seed writes the same data (default: 7).")
    long seed;

    @Option(
            names = "--train-per-domain",
            defaultValue = "1000",
            description = "Training samples per domain (default: 1000).")
    int trainPerDomain;

    @Option(
            names = "--validation-per-domain",
            defaultValue = "100",
            description = "Validation samples per domain (default: 100).")
    int validationPerDomain;

    @Option(names = "--test-per-domain", defaultValue = "100", description = "Test samples per domain (default: 100).")
    int testPerDomain;

    @Override
    public Integer call() throws IOException {
        SyntheticTask.write(out, seed, trainPerDomain, validationPerDomain, testPerDomain);
        int[] perDomain = {trainPerDomain, validationPerDomain, testPerDomain};
        int domains = SyntheticTask.domains().size();
        for (Split split : Split.values()) {
            System.err.printf(
                    Locale.ROOT,
                    "%s: %d samples (%d per domain: %s) -> %s%n",
                    split.label(),
                    perDomain[split.ordinal()] * domains,
                    perDomain[split.ordinal()],
                    String.join(", ", SyntheticTask.domains()),
                    SyntheticTask.jsonFile(out, split));
        }
        return 0;
    }
}
