package io.tributary.server.tools;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The whole decentralized recipe at toy size (a few samples, a few steps): every command runs in order, the mixture
 * it writes is served and every model of the table is evaluated on the test split.
 */
class ReproduceCommandTest {

    @TempDir
    Path dir;

    @Test
    void runsEveryStepAndPrintsTheTable() {
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        int code;
        try {
            code = RouterTools.run("reproduce", "-o", dir.toString(), "-k", "2", "--train-per-domain", "6",
                    "--validation-per-domain", "2", "--test-per-domain", "2", "--pretrain-per-domain", "4",
                    "--pretrain-steps", "4", "--steps-per-expert", "4", "--batch-size", "4");
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
        assertThat(code).as(err.toString()).isZero();
        String table = out.toString();
        for (String row : new String[] {"dense", "expert-0 alone", "expert-1 alone", "mixture, hard",
                "mixture, soft", "mixture, top-2", "mixture, posterior", "mixture, uniform", "mixture, learned"}) {
            assertThat(table).containsPattern("(?m)^" + row + "\\s+\\d+\\.\\d%");
        }
        assertThat(table).contains("8 samples of").contains("clusters (the hard router's choice): expert 0:");
        assertThat(dir.resolve("mixture/mixture.yaml")).isRegularFile();
        assertThat(dir.resolve("mixture/expert-1/model.safetensors")).isRegularFile();
        assertThat(dir.resolve("router/classifier.safetensors")).isRegularFile();
    }
}
