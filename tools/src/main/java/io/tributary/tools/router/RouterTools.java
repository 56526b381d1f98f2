package io.tributary.tools.router;

import io.tributary.routing.refusal.RequestRefusedException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The commands that make a decentralized model, in the order they run: {@code features} → {@code cluster} →
 * {@code partition} → {@code train} (one expert per cluster, or elsewhere) → {@code fit-router} → {@code evaluate}.
 * {@code synthetic-data} writes a small task to try the whole chain on.
 */
@Command(name = "tributary-router-tools", mixinStandardHelpOptions = true,
        subcommands = {FeaturesCommand.class, ClusterCommand.class, PartitionCommand.class,
                FitRouterCommand.class, SyntheticDataCommand.class, TrainCommand.class, TrainEncoderCommand.class, EvaluateCommand.class,
                ReproduceCommand.class, BenchClusterCommand.class, BenchFeaturesCommand.class},
        description = "Make a decentralized model: image features, clusters, data partitions, experts, router.")
public final class RouterTools {

    private RouterTools() {
    }

    public static void main(String[] args) {
        // As the server: everything ships in the jar, so a download attempt must fail fast, never hang.
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        System.exit(run(args));
    }

    /**
     * Runs a command; a mistake in the arguments or the input files (a bad argument, an unreadable file, an image or
     * a routing the engine refuses) prints one line and exits 2.
     */
    public static int run(String... args) {
        CommandLine commandLine = new CommandLine(RouterTools.class);
        commandLine.setExecutionExceptionHandler((exception, line, parsed) -> {
            if (exception instanceof IllegalArgumentException || exception instanceof RequestRefusedException
                    || exception instanceof java.io.IOException
                    || exception instanceof java.io.UncheckedIOException
                    || exception instanceof io.tributary.model.ModelLoadException) {
                line.getErr().println(line.getCommandName() + ": " + exception.getMessage());
                return 2;
            }
            throw exception;
        });
        return commandLine.execute(args);
    }
}
