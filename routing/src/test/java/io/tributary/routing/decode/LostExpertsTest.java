package io.tributary.routing.decode;

import io.tributary.routing.ExpertUnavailableException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class LostExpertsTest {

    @Test
    void nothingLostLeavesTheWeightsAsTheyAre() {
        double[] weights = {0.2, 0.3, 0.5};
        assertThat(new LostExperts(3).renormalize(weights)).isSameAs(weights);
    }

    @Test
    void aLostExpertsWeightGoesToTheOthersInProportion() {
        LostExperts lost = new LostExperts(3);
        lost.lose(1, loss("b"));

        double[] renormalized = lost.renormalize(new double[] {0.2, 0.3, 0.5});
        assertThat(renormalized[0]).isCloseTo(0.2 / 0.7, within(1e-12));
        assertThat(renormalized[1]).isZero();
        assertThat(renormalized[2]).isCloseTo(0.5 / 0.7, within(1e-12));
    }

    @Test
    void whenTheRouterChoseOnlyTheLostExpertTheOthersShareUniformly() {
        LostExperts lost = new LostExperts(3);
        lost.lose(0, loss("a"));

        assertThat(lost.renormalize(new double[] {1, 0, 0})).containsExactly(0, 0.5, 0.5);
    }

    @Test
    void losingTheLastExpertFailsNamingEveryLoss() {
        LostExperts lost = new LostExperts(2);
        lost.lose(0, loss("a"));
        lost.lose(0, loss("a")); // twice is once

        assertThatThrownBy(() -> lost.lose(1, loss("b")))
                .isInstanceOf(AllExpertsLostException.class)
                .hasMessage("every expert of the mixture is unavailable: 'a' (a missed its deadline); "
                        + "'b' (b missed its deadline)");
    }

    private static ExpertUnavailableException loss(String expert) {
        return new ExpertUnavailableException(expert, expert + " missed its deadline", null);
    }
}
