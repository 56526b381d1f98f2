package io.tributary.tools.train;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class LearningRateTest {

    private final LearningRate rate = new LearningRate(1e-3, 10, 110, 0.1);

    @Test
    void warmsUpLinearlyToThePeak() {
        assertThat(rate.at(0)).isCloseTo(1e-4, offset(1e-12));
        assertThat(rate.at(4)).isCloseTo(5e-4, offset(1e-12));
        assertThat(rate.at(9)).isCloseTo(1e-3, offset(1e-12));
    }

    @Test
    void decaysAlongACosineToTheFloor() {
        assertThat(rate.at(10)).isCloseTo(1e-3, offset(1e-12));
        assertThat(rate.at(60)).as("half way: the mean of peak and floor").isCloseTo(0.55e-3, offset(1e-12));
        assertThat(rate.at(110)).isCloseTo(1e-4, offset(1e-12));
        assertThat(rate.at(500)).as("past the end it stays at the floor").isCloseTo(1e-4, offset(1e-12));
        for (int step = 10; step < 110; step++) {
            assertThat(rate.at(step + 1)).isLessThanOrEqualTo(rate.at(step));
        }
    }

    @Test
    void refusesAScheduleThatCannotRun() {
        assertThatThrownBy(() -> new LearningRate(0, 1, 10, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LearningRate(1e-3, 1, 10, 2)).isInstanceOf(IllegalArgumentException.class);
    }
}
