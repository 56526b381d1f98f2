package io.tributary.system;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The router tools from the packaged jar, as the README runs them: {@code java -jar ... router-tools}. */
class RouterToolsSystemTest {

    @TempDir
    Path dir;

    @Test
    void benchClusterRunsFromTheServerJarAndSplitsEvenly() throws Exception {
        Output output = run("bench-cluster", "--samples", "2000", "--dimension", "16", "-k", "4");
        assertThat(output.exitCode()).as(output.text()).isZero();
        assertThat(output.text())
                .contains("balanced k-means of 2000 x 16, K = 4")
                .contains("sizes [500, 500, 500, 500]");
    }

    @Test
    void aMistakeIsOneLineAndExitCodeTwo() throws Exception {
        Output output = run(
                "cluster",
                "--features",
                dir.resolve("absent.npy").toString(),
                "-k",
                "2",
                "-o",
                dir.resolve("out").toString());
        assertThat(output.exitCode()).isEqualTo(2);
        assertThat(output.text()).contains("cluster: ").contains("absent.npy").doesNotContain("\tat ");
    }

    private record Output(int exitCode, String text) {}

    private Output run(String... arguments) throws Exception {
        Path jar = Path.of(System.getProperty("tributary.server.jar"));
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                jar.toString(),
                "router-tools"));
        command.addAll(List.of(arguments));
        Path log = dir.resolve("tools.log");
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("router-tools did not finish in 120 s: " + Files.readString(log));
        }
        return new Output(process.exitValue(), Files.readString(log));
    }
}
