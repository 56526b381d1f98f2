package io.tributary.server.mixture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ManifestReaderTest {

    @TempDir
    Path dir;

    @Test
    void readsYamlAndJsonAndResolvesPathsAgainstTheManifest() throws Exception {
        Files.createDirectories(dir.resolve("experts/a"));
        Path yaml = Files.writeString(dir.resolve("m.yaml"), """
                name: m
                experts:
                  - name: a
                    path: experts/a
                router:
                  mode: fixed
                  weights: [1.0]
                """);
        Path json = Files.writeString(dir.resolve("m.json"),
                "{\"name\":\"m\",\"experts\":[{\"name\":\"a\",\"path\":\"experts/a\"}],"
                        + "\"router\":{\"mode\":\"fixed\",\"weights\":[1.0]}}");

        MixtureManifest fromYaml = ManifestReader.read(yaml);
        assertThat(ManifestReader.read(json)).isEqualTo(fromYaml);
        assertThat(fromYaml.router().weights()).containsExactly(1.0);
        assertThat(ManifestReader.checkpointDirectory(yaml, fromYaml.experts().get(0)))
                .isEqualTo(dir.resolve("experts/a").toAbsolutePath());
    }

    @Test
    void aWrittenManifestReadsBack() throws Exception {
        Files.createDirectories(dir.resolve("x"));
        MixtureManifest manifest = MixtureManifest.of("round-trip", MixtureManifest.RouterEntry.of("uniform"), "x");
        assertThat(ManifestReader.read(ManifestReader.write(dir.resolve("r.yaml"), manifest))).isEqualTo(manifest);
    }

    @Test
    void rejectsBrokenManifestsNamingTheProblem() throws Exception {
        Files.createDirectories(dir.resolve("a"));
        assertRejected("", "the file is empty");
        assertRejected("name: m\nexperts: []\n", "experts: must list at least one expert");
        assertRejected("name: m\nexperts:\n  - name: a\n    path: a\n  - name: a\n    path: a\n",
                "'a' is already the name of another expert");
        assertRejected("name: m\nexperts:\n  - name: b\n    path: missing\n",
                "experts[0].path: checkpoint directory");
        assertRejected("name: m\nexperts:\n  - name: a\n    path: a\nrouters: {}\n", "routers");
        assertRejected("name: m\nexperts: [\n", "m.yaml");
        assertThatThrownBy(() -> ManifestReader.read(dir.resolve("absent.yaml"))).hasMessageContaining("no such file");
    }

    private void assertRejected(String content, String message) throws Exception {
        Path file = Files.writeString(dir.resolve("m.yaml"), content);
        assertThatThrownBy(() -> ManifestReader.read(file))
                .isInstanceOf(InvalidManifestException.class)
                .hasMessageContaining(message);
    }
}
