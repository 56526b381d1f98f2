package io.tributary.routing.mixing;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class WeightsTest {

    @Test
    void normalizesToOne() {
        double[] normalized = Weights.normalize(new double[] {1, 3, 0});
        assertThat(normalized[0]).isCloseTo(0.25, within(1e-12));
        assertThat(normalized[1]).isCloseTo(0.75, within(1e-12));
        assertThat(normalized[2]).isZero();
    }

    @Test
    void rejectsBadWeightsNamingTheEntry() {
        assertThatThrownBy(() -> Weights.normalize(new double[] {0.5, -0.1})).hasMessage("weight 1 is negative: -0.1");
        assertThatThrownBy(() -> Weights.normalize(new double[] {Double.NaN, 1}))
                .hasMessage("weight 0 is not finite: NaN");
        assertThatThrownBy(() -> Weights.normalize(new double[] {1, Double.POSITIVE_INFINITY}))
                .hasMessageContaining("weight 1 is not finite");
        assertThatThrownBy(() -> Weights.normalize(new double[] {0, 0})).hasMessageContaining("all weights are zero");
        assertThatThrownBy(() -> Weights.normalize(new double[0])).hasMessage("no weights");
    }
}
