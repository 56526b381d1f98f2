package io.tributary.tools;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The jar's command line: when it serves, and that every command in the tree answers --help. */
class TributaryTest {

    @Test
    void servesWithNoArgumentsOrSpringBootsOwn() {
        assertThat(Tributary.servesByDefault()).isTrue();
        assertThat(Tributary.servesByDefault("--server.port=9000")).isTrue();
        assertThat(Tributary.servesByDefault("--tributary.mixture=m.yaml", "--debug"))
                .isTrue();
        assertThat(Tributary.servesByDefault("--server.port=9000", "bench")).isTrue();
    }

    @Test
    void aSubCommandOrAskingForHelpOrTheVersionDoesNotServe() {
        for (String first : List.of(
                "serve",
                "bench",
                "router-tools",
                "tiny-checkpoint",
                "--help",
                "-h",
                "--version",
                "-V",
                "-x",
                "nonsense")) {
            assertThat(Tributary.servesByDefault(first, "--server.port=9000"))
                    .as(first)
                    .isFalse();
        }
    }

    @Test
    void theTopLevelHelpListsEverySubCommand() {
        CommandRun run = CommandRun.of("--help");
        assertThat(run.code()).isZero();
        assertThat(run.out())
                .contains("Usage: tributary", "the jar serves")
                .containsPattern("(?m)^\\s+serve\\s")
                .containsPattern("(?m)^\\s+router-tools\\s")
                .containsPattern("(?m)^\\s+bench\\s")
                .containsPattern("(?m)^\\s+tiny-checkpoint\\s");
    }

    @Test
    void everyBenchmarkIsASubCommandOfBench() {
        assertThat(Tributary.commandLine()
                        .getSubcommands()
                        .get("bench")
                        .getSubcommands()
                        .keySet())
                .containsExactly(
                        "serving",
                        "decode-step",
                        "mixture",
                        "remote-wire",
                        "shared-encoder",
                        "stacked-experts",
                        "real-shape",
                        "llava-7b",
                        "weight-loading",
                        "formats",
                        "mixture-memory",
                        "prefix-cache",
                        "paged-attention",
                        "sampling",
                        "structured");
    }

    @Test
    void anUnknownSubCommandIsRefusedWithExitCodeTwo() {
        CommandRun run = CommandRun.of("benchmark");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("benchmark");
    }

    @TestFactory
    Stream<DynamicTest> everyCommandAnswersHelp() {
        List<List<String>> paths = new ArrayList<>();
        collect(Tributary.commandLine(), List.of(), paths);
        assertThat(paths)
                .contains(
                        List.of("serve"),
                        List.of("tiny-checkpoint"),
                        List.of("bench", "decode-step"),
                        List.of("bench", "weight-loading"),
                        List.of("router-tools", "reproduce"),
                        List.of("router-tools", "fit-router", "temperature"));
        return paths.stream().map(path -> {
            String name = String.join(
                    " ", Stream.concat(Stream.of("tributary"), path.stream()).toList());
            return DynamicTest.dynamicTest(name, () -> {
                String[] args =
                        Stream.concat(path.stream(), Stream.of("--help")).toArray(String[]::new);
                CommandRun run = CommandRun.of(args);
                assertThat(run.code()).as(run.err()).isZero();
                assertThat(run.out()).startsWith("Usage: " + name);
            });
        });
    }

    /**
     * Every command's path below the top, the top's own (empty) included. A command without a --help option fails
     * here, before it is run: serve would take an unknown --help for Spring Boot's and start the server.
     */
    private static void collect(CommandLine command, List<String> path, List<List<String>> paths) {
        assertThat(command.getCommandSpec().optionsMap())
                .as("tributary " + String.join(" ", path))
                .containsKeys("--help", "--version");
        paths.add(path);
        command.getSubcommands().forEach((name, sub) -> {
            List<String> below = new ArrayList<>(path);
            below.add(name);
            collect(sub, below, paths);
        });
    }
}
