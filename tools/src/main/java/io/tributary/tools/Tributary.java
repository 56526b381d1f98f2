package io.tributary.tools;

import io.tributary.server.TributaryApplication;
import io.tributary.tools.bench.Benchmarks;
import io.tributary.tools.checkpoint.GenerateCheckpoint;
import io.tributary.tools.router.RouterTools;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

import java.util.Set;

/**
 * The runnable jar's one entry point. With no sub-command it serves, so that {@code java -jar tributary.jar} and
 * {@code java -jar tributary.jar --server.port=9000} start the server as a Spring Boot jar does; a sub-command runs a
 * tool or a benchmark and the process exits with its exit code.
 */
@Command(
        name = "tributary",
        mixinStandardHelpOptions = true,
        versionProvider = Tributary.Version.class,
        subcommands = {ServeCommand.class, RouterTools.class, Benchmarks.class, GenerateCheckpoint.class},
        description = {
            "Serve a decentralized mixture of expert models, or run a tool or a benchmark.",
            "With no sub-command, or with Spring Boot's own arguments only, the jar serves:",
            "  java -jar tributary.jar --server.port=9000"
        })
public final class Tributary {

    /** The first arguments that ask the command line itself for something rather than name a server setting. */
    private static final Set<String> OWN_OPTIONS = Set.of("--help", "--version");

    private Tributary() {}

    public static void main(String[] args) {
        if (servesByDefault(args)) {
            TributaryApplication.main(args);
            return;
        }
        // As the server: everything ships in the jar, so a download attempt must fail fast, never hang.
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        CommandLine commandLine = commandLine();
        int code = commandLine.execute(args);
        ServeCommand serve = commandLine.getSubcommands().get("serve").getCommand();
        if (!serve.started()) { // the server's threads keep the process alive; a tool's may not let it end
            System.exit(code);
        }
    }

    /**
     * Whether the arguments are a server's: none, or Spring Boot's own ({@code --name=value}) from the first on. Any
     * other first argument names a sub-command, or asks for help or the version.
     */
    static boolean servesByDefault(String... args) {
        return args.length == 0 || args[0].startsWith("--") && !OWN_OPTIONS.contains(args[0]);
    }

    /** The whole command tree; a mistake in the arguments or the input files prints one line and exits 2. */
    public static CommandLine commandLine() {
        return new CommandLine(Tributary.class)
                .setExecutionExceptionHandler(new InputErrors())
                .setCaseInsensitiveEnumValuesAllowed(true); // fp32, int8: as the settings are written
    }

    /** The version the build wrote into the jar's manifest; none when run from the classes. */
    static final class Version implements IVersionProvider {

        @Override
        public String[] getVersion() {
            String version = Tributary.class.getPackage().getImplementationVersion();
            return new String[] {"tributary " + (version != null ? version : "(not built as a jar)")};
        }
    }
}
