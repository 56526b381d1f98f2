package io.tributary.tools.bench;

import io.tributary.tools.CommandRun;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A benchmark refuses a bad option while parsing, with exit code 2 and the option named, before it measures. */
class BenchmarkCommandLineTest {

    @Test
    void aCountBelowOneOrNotANumberIsRefused() {
        for (String steps : new String[] {"0", "x"}) {
            CommandRun run = CommandRun.of("bench", "decode-step", "--steps", steps);
            assertThat(run.code()).isEqualTo(2);
            assertThat(run.err())
                    .startsWith("Invalid value for option '--steps'")
                    .contains("'" + steps + "' is not a positive whole number")
                    .contains("Usage: tributary bench decode-step")
                    .doesNotContain("Exception");
        }
    }

    @Test
    void everyElementOfAListIsChecked() {
        CommandRun run = CommandRun.of("bench", "serving", "--clients", "1,0,4");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("--clients").contains("'0' is not a positive whole number");
    }

    @Test
    void aRequiredOptionOrAnUnknownModeIsRefused() {
        CommandRun missing = CommandRun.of("bench", "weight-loading", "--tokens", "8");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("Missing required option: '--dir=DIR'");

        CommandRun mode = CommandRun.of("bench", "real-shape", "--weights", "disk");
        assertThat(mode.code()).isEqualTo(2);
        assertThat(mode.err()).contains("--weights").contains("'disk' is not mmap or read");

        CommandRun unknown = CommandRun.of("bench", "mixture", "--token", "8");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("Unknown options: '--token'").contains("Possible solutions: --tokens");
    }
}
