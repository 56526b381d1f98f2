package io.tributary.routing.router;

import io.tributary.routing.Prompt;
import io.tributary.routing.refusal.RoutingRefusedException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RoutersTest {

    private static Routers routers(int experts) {
        return new Routers(RoutingResources.none(experts));
    }

    private static final RoutingContext THREE_EXPERTS = new RoutingContext(Prompt.ofTokens(1), 3);

    @Test
    void uniformGivesEachExpertOneKth() {
        double[] weights =
                routers(3).create(RouterSpec.of("UNIFORM")).start(THREE_EXPERTS).weights();
        assertThat(weights).containsExactly(1 / 3.0, 1 / 3.0, 1 / 3.0);
        assertThat(Arrays.stream(weights).sum()).isEqualTo(1.0);
    }

    @Test
    void fixedNormalizesTheGivenWeights() {
        Router router = routers(3).create(RouterSpec.fixed(List.of(2.0, 0.0, 6.0)));
        assertThat(router.start(THREE_EXPERTS).weights()).containsExactly(0.25, 0.0, 0.75);
        assertThat(router.mode()).isEqualTo("fixed");
    }

    @Test
    void theDefaultModeIsUniform() {
        assertThat(routers(2).create(RouterSpec.of(null)).mode()).isEqualTo("uniform");
    }

    @Test
    void rejectsBadSpecificationsClearly() {
        assertThatThrownBy(() -> routers(2).create(RouterSpec.of("psychic")))
                .isInstanceOf(RoutingRefusedException.class)
                .hasMessage(
                        "unknown routing mode 'psychic'; known modes: uniform, fixed, hard, soft, top-k, posterior, learned");
        assertThatThrownBy(() -> routers(2).create(RouterSpec.fixed(List.of(1.0))))
                .isInstanceOf(RoutingRefusedException.class)
                .hasMessageContaining("one weight per expert: got 1 for 2 experts");
        assertThatThrownBy(() -> routers(2).create(RouterSpec.fixed(List.of(1.0, -1.0))))
                .isInstanceOf(RoutingRefusedException.class)
                .hasMessage("weight 1 is negative: -1.0");
        assertThatThrownBy(() -> routers(2).create(RouterSpec.fixed(List.of(0.0, 0.0))))
                .isInstanceOf(RoutingRefusedException.class)
                .hasMessageContaining("all weights are zero");
        assertThatThrownBy(() -> routers(1).create(new RouterSpec("uniform", List.of(1.0), null, null)))
                .isInstanceOf(RoutingRefusedException.class)
                .hasMessage("routing mode 'uniform' takes no weights");
        assertThatThrownBy(() -> routers(2).create(RouterSpec.of("hard")))
                .isInstanceOf(RoutingRefusedException.class)
                .hasMessage("routing mode 'hard' needs router centroids, and this mixture has none");
        assertThatThrownBy(() -> routers(2).create(RouterSpec.of("learned")))
                .isInstanceOf(RoutingRefusedException.class)
                .hasMessage("routing mode 'learned' needs a router classifier, and this mixture has none");
    }

    @Test
    void availableModesAreThoseTheArtefactsAllowAndEachOneBuilds() {
        assertThat(routers(2).availableModes()).containsExactly("uniform", "fixed", "posterior");

        ClusterModel clusters = new ClusterModel(new float[][] {{1, 0}, {0, 1}}, new float[2], new double[] {1, 1});
        Classifier classifier =
                new Classifier(List.<float[][]>of(new float[][] {{1, 0}, {0, 1}}), List.<float[]>of(new float[2]));
        Routers all = new Routers(new RoutingResources(2, clusters, classifier, FeatureExtractor.NONE, 1));
        assertThat(all.availableModes()).containsExactlyElementsOf(Routers.MODES);
        Routers centroidsOnly = new Routers(new RoutingResources(2, clusters, null, FeatureExtractor.NONE, 1));
        assertThat(centroidsOnly.availableModes()).doesNotContain("learned").contains("hard", "soft", "top-k");
        for (String mode : all.availableModes()) {
            List<Double> weights = mode.equals("fixed") ? List.of(1.0, 1.0) : null;
            Integer topK = mode.equals("top-k") ? 1 : null;
            assertThat(all.create(new RouterSpec(mode, weights, null, topK)).mode())
                    .isEqualTo(mode);
        }
    }

    @Test
    void modesWithArtefactsCheckTheirParameters() {
        ClusterModel clusters = new ClusterModel(new float[][] {{1, 0}, {0, 1}}, new float[2], new double[] {1, 1});
        Routers routers = new Routers(new RoutingResources(2, clusters, null, FeatureExtractor.NONE, 21.79));
        assertThat(routers.create(RouterSpec.of("hard")).mode()).isEqualTo("hard");
        assertThat(routers.create(RouterSpec.of("soft")).mode()).isEqualTo("soft");
        assertThat(routers.create(RouterSpec.of("posterior")).mode()).isEqualTo("posterior");
        assertThat(routers.create(new RouterSpec("top-k", null, null, 2)).mode())
                .isEqualTo("top-k");
        assertThatThrownBy(() -> routers.create(RouterSpec.of("top-k")))
                .isInstanceOf(RoutingRefusedException.class)
                .hasMessage("routing mode 'top-k' needs top_k");
        assertThatThrownBy(() -> routers.create(new RouterSpec("top-k", null, null, 3)))
                .isInstanceOf(RoutingRefusedException.class)
                .hasMessage("top_k must be between 1 and 2, got 3");
        assertThatThrownBy(() -> routers.create(new RouterSpec("soft", null, -1.0, null)))
                .isInstanceOf(RoutingRefusedException.class)
                .hasMessage("temperature must be positive and finite, got -1.0");
        assertThatThrownBy(() -> routers.create(new RouterSpec("hard", null, 2.0, null)))
                .isInstanceOf(RoutingRefusedException.class)
                .hasMessage("routing mode 'hard' takes no temperature");
        assertThatThrownBy(() -> routers.create(new RouterSpec("soft", List.of(1.0, 1.0), null, null)))
                .isInstanceOf(RoutingRefusedException.class)
                .hasMessage("routing mode 'soft' takes no weights");
    }

    @Test
    void artefactsMustFitTheMixture() {
        ClusterModel clusters = new ClusterModel(new float[][] {{1, 0}, {0, 1}}, new float[2], new double[] {1, 1});
        Classifier classifier = new Classifier(
                List.<float[][]>of(new float[][] {{1, 0, 0}, {0, 1, 0}}), List.<float[]>of(new float[2]));
        assertThatThrownBy(() -> new RoutingResources(3, clusters, null, FeatureExtractor.NONE, 1))
                .hasMessage("2 centroids for 3 experts");
        assertThatThrownBy(() -> new RoutingResources(2, clusters, classifier, FeatureExtractor.NONE, 1))
                .hasMessage("the classifier takes features of dimension 3 but the centroids have 2");
    }

    @Test
    void fixedWeightsMustMatchTheMixture() {
        Router router = routers(2).create(RouterSpec.fixed(List.of(1.0, 1.0)));
        assertThatThrownBy(() -> router.start(THREE_EXPERTS)).hasMessage("2 fixed weights for a mixture of 3 experts");
    }
}
