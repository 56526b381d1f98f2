package io.tributary.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Mixtures of two tiny experts with random weights in the real Hugging Face layout, written by the packaged jar's
 * own checkpoint generator as the README shows: LLaVA experts for tests that send images, Llama experts for tests
 * that need long generations (untrained text runs to its length limit; the embedded default's experts answer and stop).
 */
public final class TinyMixtures {

    public static final List<String> EXPERTS = List.of("alpha", "beta");

    private TinyMixtures() {}

    /** Two tiny LLaVA experts and a manifest with the given router mode under {@code dir}; returns the manifest. */
    public static Path vision(Path dir, String routerMode) throws Exception {
        return write(dir, "tiny-vision", "llava", routerMode);
    }

    /**
     * Two tiny Llama experts under a uniform router, in {@code dir}; returns the manifest. The files are readable by
     * every user, so a container's non-root server can read them through a bind mount.
     */
    public static Path text(Path dir) throws Exception {
        Path manifest = write(dir, "tiny-text", "llama", "uniform");
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.toList()) {
                Files.setPosixFilePermissions(
                        path, PosixFilePermissions.fromString(Files.isDirectory(path) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        return manifest;
    }

    private static Path write(Path dir, String name, String family, String routerMode) throws Exception {
        Path jar = Path.of(System.getProperty("tributary.server.jar"));
        List<Process> generators = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        for (int k = 0; k < EXPERTS.size(); k++) {
            Path log = Files.createTempFile("tributary-checkpoint", ".log");
            logs.add(log);
            generators.add(new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-Xmx512m",
                            "-jar",
                            jar.toString(),
                            "tiny-checkpoint",
                            "--out",
                            dir.resolve(EXPERTS.get(k)).toString(),
                            "--family",
                            family,
                            "--seed",
                            String.valueOf(k + 1))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start());
        }
        for (int k = 0; k < generators.size(); k++) {
            awaitSuccess(generators.get(k), "writing expert " + EXPERTS.get(k), logs.get(k));
        }
        StringBuilder manifest = new StringBuilder("name: " + name + "\nexperts:\n");
        EXPERTS.forEach(expert -> manifest.append("  - name: ")
                .append(expert)
                .append("\n    path: ")
                .append(expert)
                .append('\n'));
        manifest.append("router:\n  mode: ").append(routerMode).append('\n');
        return Files.writeString(dir.resolve("mixture.yaml"), manifest);
    }

    private static void awaitSuccess(Process process, String what, Path log) throws IOException, InterruptedException {
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException(what + " failed:\n" + Files.readString(log));
        }
    }
}
