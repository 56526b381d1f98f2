package io.tributary.routing.router;

import io.tributary.routing.Prompt;
import io.tributary.routing.mixing.Weights;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class LearnedRouterTest {

    /** A two-layer classifier small enough to compute by hand. */
    private static final Classifier CLASSIFIER = new Classifier(
            List.of(new float[][] {{1, -1}, {2, 0}, {0, 1}}, new float[][] {{1, 0, 0}, {0, 1, 1}}),
            List.of(new float[] {0, -1, 0.5f}, new float[] {0.25f, 0}));

    @Test
    void logitsAreTheMultilayerPerceptronWithReluBetweenLayers() {
        // f = (2, 3): hidden = relu(-1, 3, 3.5) = (0, 3, 3.5); logits = (0 + 0.25, 3 + 3.5) = (0.25, 6.5)
        assertThat(CLASSIFIER.logits(new float[] {2, 3})).containsExactly(new double[] {0.25, 6.5}, within(1e-9));
    }

    @Test
    void weightsAreTheSoftmaxOfTheLogits() {
        LearnedRouter router = new LearnedRouter(
                CLASSIFIER, prompt -> Optional.of(new float[] {2, 3}), new double[] {1, 1}, Selection.SOFT);
        double[] weights =
                router.start(new RoutingContext(Prompt.ofTokens(1), 2)).weights();
        assertThat(weights).containsExactly(Weights.softmax(new double[] {0.25, 6.5}), within(1e-12));
    }

    @Test
    void aTextOnlyPromptFallsBackToTheExpertsLikelihoodOfIt() {
        LearnedRouter router =
                new LearnedRouter(CLASSIFIER, FeatureExtractor.NONE, new double[] {3, 1}, Selection.SOFT);
        RoutingSession session = router.start(new RoutingContext(Prompt.ofTokens(1), 2));
        assertThat(session.needsPromptLikelihood()).isTrue();
        session.observePrompt(new double[] {-10, -8});
        // π ∝ (3, 1); posterior ∝ (3e-10, 1e-8)
        double expected = 3 * Math.exp(-10) / (3 * Math.exp(-10) + Math.exp(-8));
        assertThat(session.weights()[0]).isCloseTo(expected, within(1e-12));
    }

    @Test
    void rejectsAClassifierThatDoesNotFit() {
        assertThatThrownBy(() -> new Classifier(
                        List.of(new float[][] {{1, 0}}, new float[][] {{1, 1, 1}}),
                        List.of(new float[1], new float[1])))
                .hasMessage("layer 1 takes 3 inputs but layer 0 gives 1");
        LearnedRouter router =
                new LearnedRouter(CLASSIFIER, prompt -> Optional.of(new float[5]), new double[] {1, 1}, Selection.SOFT);
        assertThatThrownBy(() -> router.start(new RoutingContext(Prompt.ofTokens(1), 2)))
                .hasMessage("router feature has dimension 5 but the classifier takes 2");
    }
}
