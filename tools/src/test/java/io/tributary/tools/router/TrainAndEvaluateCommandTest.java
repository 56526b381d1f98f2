package io.tributary.tools.router;

import io.tributary.server.mixture.ManifestReader;
import io.tributary.server.mixture.MixtureManifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The training smoke test: a tiny expert trained on a few synthetic samples lowers its answer loss, is written as a
 * checkpoint the server loads, and the evaluation command decodes its answers through the serving engine.
 */
class TrainAndEvaluateCommandTest {

    @TempDir
    Path dir;

    @Test
    void trainingLowersTheLossAndTheTrainedExpertIsServedAndEvaluated() throws Exception {
        Path data = dir.resolve("data");
        assertThat(ToolRun.of(
                                "synthetic-data",
                                "--out",
                                data.toString(),
                                "--train-per-domain",
                                "8",
                                "--validation-per-domain",
                                "0",
                                "--test-per-domain",
                                "2")
                        .code())
                .isZero();

        Path expert = dir.resolve("mixture/expert");
        ToolRun trained = ToolRun.of(
                "train",
                "--dataset",
                data.resolve("train.json").toString(),
                "-o",
                expert.toString(),
                "--steps",
                "30",
                "--batch-size",
                "8",
                "--warmup",
                "5",
                "--lr",
                "5e-3",
                "--log-every",
                "10");
        assertThat(trained.code()).as(trained.err()).isZero();
        JsonNode report =
                new ObjectMapper().readTree(expert.resolve(TrainCommand.REPORT).toFile());
        assertThat(report.path("losses")).hasSize(3);
        double first = report.path("losses").get(0).asDouble();
        double last = report.path("losses").get(2).asDouble();
        assertThat(last).as("answer loss after 30 steps").isLessThan(first * 0.6);
        assertThat(report.path("parameters_trained").asLong()).isGreaterThan(100_000);
        assertThat(expert.resolve("model.safetensors")).isRegularFile();
        assertThat(expert.resolve("tokenizer.json")).isRegularFile();

        Path manifest = ManifestReader.write(
                dir.resolve("mixture/mixture.yaml"),
                MixtureManifest.of("smoke", MixtureManifest.RouterEntry.of("uniform"), "expert"));
        ToolRun evaluated = ToolRun.of(
                "evaluate",
                "--manifest",
                manifest.toString(),
                "--dense",
                expert.toString(),
                "--dataset",
                data.resolve("test.json").toString(),
                "--modes",
                "uniform");
        assertThat(evaluated.code()).as(evaluated.err()).isZero();
        assertThat(evaluated.out())
                .contains("8 samples of")
                .containsPattern("(?m)^dense\\s+\\d+\\.\\d%")
                .containsPattern("(?m)^expert alone\\s+\\d+\\.\\d%\\s+\\d+\\.\\d%")
                .containsPattern("(?m)^mixture, uniform\\s+\\d+\\.\\d%");
        // One expert served as the dense model and as the mixture: the same greedy answers either way.
        assertThat(percent(evaluated.out(), "dense")).isEqualTo(percent(evaluated.out(), "mixture, uniform"));

        ToolRun refused = ToolRun.of(
                "evaluate",
                "--manifest",
                manifest.toString(),
                "--dataset",
                data.resolve("test.json").toString(),
                "--modes",
                "learned");
        assertThat(refused.code())
                .as("a routing the engine refuses is the user's mistake")
                .isEqualTo(2);
        assertThat(refused.err()).startsWith("evaluate: ").contains("needs a router classifier");
    }

    @Test
    void aDatasetWithoutImagesIsRefusedInOneLine() throws Exception {
        Path dataset = dir.resolve("text.json");
        Files.writeString(
                dataset,
                "[{\"id\": \"1\", \"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}, "
                        + "{\"from\": \"gpt\", \"value\": \"hello\"}]}]");
        ToolRun result = ToolRun.of(
                "train",
                "--dataset",
                dataset.toString(),
                "-o",
                dir.resolve("out").toString());
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).startsWith("train: ").contains("0 images");
    }

    private static String percent(String table, String row) {
        return table.lines()
                .filter(line -> line.startsWith(row + " "))
                .findFirst()
                .orElseThrow()
                .substring(row.length())
                .strip()
                .split("\\s+")[0];
    }
}
