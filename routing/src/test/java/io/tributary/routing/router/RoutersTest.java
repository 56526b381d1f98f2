package io.tributary.routing.router;

import io.tributary.routing.Prompt;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RoutersTest {

    private static final RoutingContext THREE_EXPERTS = new RoutingContext(Prompt.ofTokens(1), 3);

    @Test
    void uniformGivesEachExpertOneKth() {
        double[] weights = Routers.create("UNIFORM", null, 3).start(THREE_EXPERTS).weights();
        assertThat(weights).containsExactly(1 / 3.0, 1 / 3.0, 1 / 3.0);
        assertThat(Arrays.stream(weights).sum()).isEqualTo(1.0);
    }

    @Test
    void fixedNormalizesTheGivenWeights() {
        Router router = Routers.create("fixed", List.of(2.0, 0.0, 6.0), 3);
        assertThat(router.start(THREE_EXPERTS).weights()).containsExactly(0.25, 0.0, 0.75);
        assertThat(router.mode()).isEqualTo("fixed");
    }

    @Test
    void theDefaultModeIsUniform() {
        assertThat(Routers.create(null, null, 2).mode()).isEqualTo("uniform");
    }

    @Test
    void rejectsBadSpecificationsClearly() {
        assertThatThrownBy(() -> Routers.create("psychic", null, 2))
                .hasMessage("unknown routing mode 'psychic'; known modes: uniform, fixed");
        assertThatThrownBy(() -> Routers.create("fixed", List.of(1.0), 2))
                .hasMessageContaining("one weight per expert: got 1 for 2 experts");
        assertThatThrownBy(() -> Routers.create("fixed", List.of(1.0, -1.0), 2))
                .hasMessage("weight 1 is negative: -1.0");
        assertThatThrownBy(() -> Routers.create("fixed", List.of(0.0, 0.0), 2))
                .hasMessageContaining("all weights are zero");
        assertThatThrownBy(() -> Routers.create("uniform", List.of(1.0), 1))
                .hasMessage("routing mode 'uniform' takes no weights");
    }

    @Test
    void fixedWeightsMustMatchTheMixture() {
        Router router = Routers.create("fixed", List.of(1.0, 1.0), 2);
        assertThatThrownBy(() -> router.start(THREE_EXPERTS))
                .hasMessage("2 fixed weights for a mixture of 3 experts");
    }
}
