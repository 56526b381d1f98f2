package io.tributary.tools.bench;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** A profiler trace is split into weight products, attention products, other ops and the time between them. */
class StepBreakdownTest {

    private static JsonNode trace(String events) {
        return new ObjectMapper().readTree("[" + events.replace('\'', '"') + "]");
    }

    private static String event(String name, double ts, double dur, int tid, String shape) {
        return String.format(
                java.util.Locale.ROOT,
                "{'name': '%s', 'ph': 'X', 'ts': %.3f, 'dur': %.3f, 'tid': %d, 'shape': %s}",
                name,
                ts,
                dur,
                tid,
                shape);
    }

    @Test
    void topLevelOpsAreSortedByKindAndNestedOnesCountOnce() {
        StepBreakdown breakdown = StepBreakdown.of(trace(String.join(
                ",",
                event("aten::matmul", 0, 100, 1, "[[8, 896], [896, 2432]]"),
                event("aten::mm", 1, 98, 1, "[[8, 896], [896, 2432]]"), // inside the matmul above
                event("aten::matmul", 110, 30, 1, "[[8, 896], [896, 2432]]"),
                event("aten::matmul", 140, 30, 1, "[[2432, 896], [896, 2]]"), // weight first, 2 rows
                event("aten::addmm", 180, 20, 1, "[[1152], [8, 896], [896, 1152], [], []]"),
                event("aten::matmul", 205, 30, 1, "[[8, 2, 7, 64], [8, 2, 64, 50]]"),
                event("aten::softmax", 240, 10, 1, "[[8, 2, 7, 50], []]"),
                event("aten::empty", 241, 1, 1, "[[], [], []]"), // inside the softmax
                event("aten::mm", 0, 500, 2, "[[1, 1], [1, 1]]")))); // another, quieter thread

        assertThat(breakdown.spanMicros()).isCloseTo(250, within(1e-9));
        assertThat(breakdown.linearMicros()).isCloseTo(180, within(1e-9));
        assertThat(breakdown.attentionMicros()).isCloseTo(30, within(1e-9));
        assertThat(breakdown.otherMicros()).isCloseTo(10, within(1e-9));
        assertThat(breakdown.betweenMicros()).isCloseTo(30, within(1e-9));
        assertThat(breakdown.ops()).isEqualTo(6);
        assertThat(breakdown.linears())
                .containsExactly(
                        new StepBreakdown.Linear(8, 896, 2432, 2, 130),
                        new StepBreakdown.Linear(2, 896, 2432, 1, 30),
                        new StepBreakdown.Linear(8, 896, 1152, 1, 20));
        double bytesPerMicro = 2 * 896 * 2432 * 4 / 130.0; // 2 calls x 896 x 2432 floats in 130 us
        assertThat(breakdown.linears().get(0).gigabytesPerSecond(4)).isCloseTo(bytesPerMicro / 1e3, within(1e-9));
    }

    @Test
    void aTraceWithoutOpsIsRefused() {
        assertThatThrownBy(() -> StepBreakdown.of(trace("{'name': 'x', 'ph': 'M'}")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
