package io.tributary.tools.router;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The synthetic task as the router tools write it, read back as any LLaVA dataset is. */
class SyntheticDataCommandTest {

    @TempDir
    Path dir;

    @Test
    void writesThreeSplitsThatTheDatasetReaderReadsWithEveryImageOnDisk() {
        Path out = dir.resolve("task");
        Result result = run(
                "synthetic-data",
                "--out",
                out.toString(),
                "--seed",
                "3",
                "--train-per-domain",
                "3",
                "--validation-per-domain",
                "1",
                "--test-per-domain",
                "2");

        assertThat(result.code()).isZero();
        assertThat(result.err().lines())
                .hasSize(3)
                .anySatisfy(
                        line -> assertThat(line).startsWith("train: 12 samples").endsWith("train.json"))
                .anySatisfy(line -> assertThat(line).startsWith("validation: 4 samples"))
                .anySatisfy(line -> assertThat(line).startsWith("test: 8 samples"));
        List<Datasets.Sample> train = Datasets.read(out.resolve("train.json"));
        assertThat(train).hasSize(12);
        assertThat(train)
                .extracting(sample -> sample.node().path("domain").asString())
                .containsOnly("shapes", "digits", "colours", "bars");
        assertThat(train).allSatisfy(sample -> {
            assertThat(sample.images())
                    .singleElement()
                    .satisfies(image -> assertThat(out.resolve(image)).isRegularFile());
            assertThat(sample.node().path("conversations").get(0).path("value").asString())
                    .startsWith("<image>\n");
        });
        assertThat(Datasets.read(out.resolve("validation.json"))).hasSize(4);
        assertThat(Datasets.read(out.resolve("test.json"))).hasSize(8);
    }

    @Test
    void theSameSeedWritesTheSameJson() throws Exception {
        for (String name : List.of("a", "b")) {
            assertThat(run(
                                    "synthetic-data",
                                    "-o",
                                    dir.resolve(name).toString(),
                                    "--train-per-domain",
                                    "2",
                                    "--validation-per-domain",
                                    "0",
                                    "--test-per-domain",
                                    "0")
                            .code())
                    .isZero();
        }
        assertThat(Files.readString(dir.resolve("a/train.json")))
                .isEqualTo(Files.readString(dir.resolve("b/train.json")));
    }

    @Test
    void aBadArgumentIsOneLineAndExitCodeTwo() {
        Result negative = run("synthetic-data", "--out", dir.toString(), "--train-per-domain", "-1");
        assertThat(negative.code()).isEqualTo(2);
        assertThat(negative.err()).startsWith("synthetic-data: ").contains("-1").doesNotContain("Exception");

        Result notANumber = run("synthetic-data", "--out", dir.toString(), "--seed", "seven");
        assertThat(notANumber.code()).isEqualTo(2);
        assertThat(notANumber.err()).contains("--seed").contains("seven");
        assertThat(dir.resolve("train.json")).doesNotExist();
    }

    private record Result(int code, String err) {}

    private static Result run(String... args) {
        PrintStream original = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true));
        try {
            return new Result(RouterTools.run(args), err.toString());
        } finally {
            System.setErr(original);
        }
    }
}
