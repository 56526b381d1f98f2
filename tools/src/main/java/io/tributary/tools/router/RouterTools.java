package io.tributary.tools.router;

import io.tributary.tools.InputErrors;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The commands that make a decentralized model, in the order they run: {@code features} → {@code cluster} →
 * {@code partition} → {@code train} (one expert per cluster, or elsewhere) → {@code fit-router} → {@code evaluate}.
 * {@code synthetic-data} writes a small task to try the whole chain on.
 */
@Command(
        name = "router-tools",
        mixinStandardHelpOptions = true,
        subcommands = {
            FeaturesCommand.class,
            ClusterCommand.class,
            PartitionCommand.class,
            FitRouterCommand.class,
            SyntheticDataCommand.class,
            TrainCommand.class,
            TrainEncoderCommand.class,
            EvaluateCommand.class,
            ReproduceCommand.class,
            BenchClusterCommand.class,
            BenchFeaturesCommand.class
        },
        description = "Make a decentralized model: image features, clusters, data partitions, experts, router.")
public final class RouterTools {

    private RouterTools() {}

    /**
     * Runs a command in this process, as {@code tributary router-tools} does; a mistake in the arguments or the input
     * files prints one line and exits 2.
     */
    public static int run(String... args) {
        return new CommandLine(RouterTools.class)
                .setExecutionExceptionHandler(new InputErrors())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .execute(args);
    }
}
