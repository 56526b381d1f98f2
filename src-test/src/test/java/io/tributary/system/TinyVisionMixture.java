package io.tributary.system;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A mixture of two tiny LLaVA experts (random weights, real Hugging Face layout), written by the packaged jar's own
 * checkpoint generator as the README shows, for tests that send images.
 */
final class TinyVisionMixture {

    static final List<String> EXPERTS = List.of("alpha", "beta");

    private TinyVisionMixture() {
    }

    /** Writes the experts and a manifest with the given router mode under {@code dir}; returns the manifest. */
    static Path write(Path dir, String routerMode) throws Exception {
        Path jar = Path.of(System.getProperty("tributary.server.jar"));
        List<Process> generators = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        for (int k = 0; k < EXPERTS.size(); k++) {
            Path log = Files.createTempFile("tributary-checkpoint", ".log");
            logs.add(log);
            generators.add(new ProcessBuilder(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                    "-cp", jar.toString(), "-Dloader.main=io.tributary.model.tiny.GenerateCheckpoint",
                    "org.springframework.boot.loader.launch.PropertiesLauncher",
                    "--out", dir.resolve(EXPERTS.get(k)).toString(), "--family", "llava", "--seed", String.valueOf(k + 1))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start());
        }
        for (int k = 0; k < generators.size(); k++) {
            Process generator = generators.get(k);
            if (!generator.waitFor(120, TimeUnit.SECONDS) || generator.exitValue() != 0) {
                generator.destroyForcibly();
                throw new IllegalStateException("writing expert " + EXPERTS.get(k) + " failed:\n"
                        + Files.readString(logs.get(k)));
            }
        }
        StringBuilder manifest = new StringBuilder("name: tiny-vision\nexperts:\n");
        EXPERTS.forEach(name -> manifest.append("  - name: ").append(name).append("\n    path: ").append(name).append('\n'));
        manifest.append("router:\n  mode: ").append(routerMode).append('\n');
        return Files.writeString(dir.resolve("mixture.yaml"), manifest);
    }
}
