package io.tributary.server.mixture;

import io.tributary.model.LoadOptions;
import io.tributary.model.Precision;
import io.tributary.model.Quantization;
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
        Path json = Files.writeString(
                dir.resolve("m.json"),
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
        assertThat(ManifestReader.read(ManifestReader.write(dir.resolve("r.yaml"), manifest)))
                .isEqualTo(manifest);
    }

    @Test
    void anExpertMayNameItsOwnPrecisionAndQuantization() throws Exception {
        Files.createDirectories(dir.resolve("a"));
        Files.createDirectories(dir.resolve("b"));
        MixtureManifest manifest = ManifestReader.read(Files.writeString(dir.resolve("q.yaml"), """
                name: m
                experts:
                  - name: a
                    path: a
                    quantization: int4
                  - name: b
                    path: b
                    precision: BF16
                """));
        LoadOptions server = LoadOptions.cpu().withQuantization(Quantization.INT8, 64);
        LoadOptions a = manifest.experts().get(0).options(server);
        LoadOptions b = manifest.experts().get(1).options(server);
        assertThat(a.quantization()).isEqualTo(Quantization.INT4);
        assertThat(a.groupSize()).as("the group size is the server's").isEqualTo(64);
        assertThat(b.precision()).isEqualTo(Precision.BF16);
        assertThat(b.quantization()).as("unset: the server's").isEqualTo(Quantization.INT8);
        assertThat(ManifestReader.read(ManifestReader.write(dir.resolve("q2.yaml"), manifest)))
                .isEqualTo(manifest);
        assertRejected(
                "name: m\nexperts:\n  - name: a\n    path: a\n    quantization: int3\n",
                "experts[0].quantization: must be one of [none, int8, int4], got 'int3'");
    }

    @Test
    void rejectsBrokenManifestsNamingTheProblem() throws Exception {
        Files.createDirectories(dir.resolve("a"));
        assertRejected("", "the file is empty");
        assertRejected("name: m\nexperts: []\n", "experts: must list at least one expert");
        assertRejected(
                "name: m\nexperts:\n  - name: a\n    path: a\n  - name: a\n    path: a\n",
                "'a' is already the name of another expert");
        assertRejected("name: m\nexperts:\n  - name: b\n    path: missing\n", "experts[0].path: checkpoint directory");
        assertRejected("name: m\nexperts:\n  - name: a\n    path: a\nrouters: {}\n", "routers");
        assertRejected("name: m\nexperts: [\n", "m.yaml");
        assertThatThrownBy(() -> ManifestReader.read(dir.resolve("absent.yaml")))
                .hasMessageContaining("no such file");
    }

    private void assertRejected(String content, String message) throws Exception {
        Path file = Files.writeString(dir.resolve("m.yaml"), content);
        assertThatThrownBy(() -> ManifestReader.read(file))
                .isInstanceOf(InvalidManifestException.class)
                .hasMessageContaining(message);
    }
}
