package io.tributary.tools.router;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole decentralized recipe at toy size (a few samples, a few steps): every command runs in order, the mixture
 * it writes is served and every model of the table is evaluated on the test split.
 */
class ReproduceCommandTest {

    @TempDir
    Path dir;

    @Test
    void runsEveryStepAndPrintsTheTable() {
        ToolRun run = ToolRun.of(
                "reproduce",
                "-o",
                dir.toString(),
                "-k",
                "2",
                "--train-per-domain",
                "6",
                "--validation-per-domain",
                "2",
                "--test-per-domain",
                "2",
                "--pretrain-per-domain",
                "4",
                "--pretrain-steps",
                "4",
                "--steps-per-expert",
                "4",
                "--batch-size",
                "4");
        assertThat(run.code()).as(run.err()).isZero();
        String table = run.out();
        for (String row : new String[] {
            "dense",
            "expert-0 alone",
            "expert-1 alone",
            "mixture, hard",
            "mixture, soft",
            "mixture, top-2",
            "mixture, posterior",
            "mixture, uniform",
            "mixture, learned"
        }) {
            assertThat(table).containsPattern("(?m)^" + row + "\\s+\\d+\\.\\d%");
        }
        assertThat(table).contains("8 samples of").contains("clusters (the hard router's choice): expert 0:");
        assertThat(dir.resolve("mixture/mixture.yaml")).isRegularFile();
        assertThat(dir.resolve("mixture/expert-1/model.safetensors")).isRegularFile();
        assertThat(dir.resolve("router/classifier.safetensors")).isRegularFile();
    }
}
