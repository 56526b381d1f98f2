package io.tributary.routing.decode;

import io.tributary.routing.Expert;
import io.tributary.routing.Prompt;
import io.tributary.routing.mixing.Weights;
import io.tributary.routing.router.ClusterModel;
import io.tributary.routing.router.FeatureExtractor;
import io.tributary.routing.router.RouterSpec;
import io.tributary.routing.router.Routers;
import io.tributary.routing.router.RoutingResources;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.routing.testing.FakeExpert;
import io.tributary.routing.testing.LetterDetokenizer;
import io.tributary.routing.testing.RecordingListener;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Each routing mode decoding with fake experts, checked against a direct computation. */
class RoutingModesTest {

    private static final int VOCABULARY = 40;
    private static final Prompt PROMPT = Prompt.ofTokens(3, 14, 15, 9, 2);
    /** Four clusters along the axes; the image feature points mostly along axis 2, then axis 0. */
    private static final ClusterModel CLUSTERS = new ClusterModel(
            new float[][] {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}},
            new float[] {0, 0, 0, 0},
            new double[] {0.1, 0.2, 0.3, 0.4});

    private static final FeatureExtractor IMAGE = prompt -> Optional.of(new float[] {0.5f, -0.2f, 0.8f, 0.1f});

    @Test
    void hardRoutingIsTheChosenExpertAloneAndNoOtherRuns() {
        FakeExpert[] experts = experts();
        RecordingListener hard = run(IMAGE, RouterSpec.of("hard"), 30, experts);
        FakeExpert alone = new FakeExpert("alone", VOCABULARY, 102); // expert 2's seed
        RecordingListener reference = run(IMAGE, RouterSpec.of("uniform"), 30, alone);

        assertThat(hard.tokenIds()).containsExactly(reference.tokenIds());
        assertThat(hard.tokens.get(0).expertWeights()).containsExactly(0, 0, 1, 0);
        assertThat(experts[0].sessionsOpened.get() + experts[1].sessionsOpened.get() + experts[3].sessionsOpened.get())
                .as("unselected experts are never opened")
                .isZero();
        assertThat(experts[2].forwardCalls.get()).isEqualTo(30);
    }

    @Test
    void topKRunsExactlyTheKBestExperts() {
        FakeExpert[] experts = experts();
        RecordingListener topTwo = run(IMAGE, new RouterSpec("top-k", null, 5.0, 2), 20, experts);

        double[] weights = topTwo.tokens.get(0).expertWeights();
        assertThat(weights[1]).isZero();
        assertThat(weights[3]).isZero();
        assertThat(weights[2]).isGreaterThan(weights[0]).isPositive();
        assertThat(weights[0] + weights[2]).isCloseTo(1.0, within(1e-12));
        assertThat(experts[0].forwardCalls.get()).isEqualTo(20);
        assertThat(experts[2].forwardCalls.get()).isEqualTo(20);
        assertThat(experts[1].forwardCalls.get() + experts[3].forwardCalls.get())
                .isZero();
    }

    @Test
    void posteriorMatchesBayesRuleOverWholeSequenceLikelihoods() {
        FakeExpert[] experts = experts();
        RecordingListener posterior = run(FeatureExtractor.NONE, RouterSpec.of("posterior"), 12, experts);

        double[] priors = CLUSTERS.priors();
        int[] sequence = PROMPT.tokenIds();
        for (GeneratedToken token : posterior.tokens) {
            // w_k ∝ π_k · p_k(everything so far), each likelihood computed from scratch over the whole sequence.
            double[] logJoint = new double[experts.length];
            for (int k = 0; k < experts.length; k++) {
                logJoint[k] = Math.log(priors[k]) + experts[k].logLikelihood(sequence);
            }
            assertThat(token.expertWeights()).containsExactly(Weights.softmax(logJoint), within(1e-9));
            sequence = Arrays.copyOf(sequence, sequence.length + 1);
            sequence[sequence.length - 1] = token.id();
        }
        assertThat(posterior.tokens.get(11).expertWeights())
                .isNotEqualTo(posterior.tokens.get(0).expertWeights());
    }

    @Test
    void aTextOnlyPromptIsRoutedByTheExpertsLikelihoodOfIt() {
        FakeExpert[] experts = experts();
        RecordingListener hard = run(FeatureExtractor.NONE, RouterSpec.of("hard"), 10, experts);

        double[] priors = CLUSTERS.priors();
        double[] logPosterior = new double[experts.length];
        for (int k = 0; k < experts.length; k++) {
            logPosterior[k] = Math.log(priors[k]) + experts[k].logLikelihood(PROMPT.tokenIds());
        }
        int chosen = Weights.argmax(logPosterior);
        assertThat(hard.tokens.get(0).expertWeights()).containsExactly(Weights.oneHot(4, chosen));
        for (int k = 0; k < experts.length; k++) {
            assertThat(experts[k].promptScorings.get())
                    .as("every expert reads the prompt once")
                    .isEqualTo(1);
            assertThat(experts[k].forwardCalls.get())
                    .as("only the chosen expert decodes")
                    .isEqualTo(k == chosen ? 10 : 0);
        }
    }

    @Test
    void softRoutingWeighsEveryTokenTheSame() {
        RecordingListener soft = run(IMAGE, new RouterSpec("soft", null, 3.0, null), 5, experts());
        double[] first = soft.tokens.get(0).expertWeights();
        assertThat(Arrays.stream(first).sum()).isCloseTo(1.0, within(1e-12));
        assertThat(Arrays.stream(first).allMatch(w -> w > 0)).isTrue();
        soft.tokens.forEach(token -> assertThat(token.expertWeights()).containsExactly(first));
    }

    private static FakeExpert[] experts() {
        FakeExpert[] experts = new FakeExpert[4];
        for (int k = 0; k < experts.length; k++) {
            experts[k] = new FakeExpert("e" + k, VOCABULARY, 100 + k);
        }
        return experts;
    }

    /** Decodes greedily with the router the spec names over the test clusters (or none, for one expert). */
    private static RecordingListener run(FeatureExtractor features, RouterSpec spec, int tokens, Expert... experts) {
        RoutingResources resources = experts.length == CLUSTERS.clusters()
                ? new RoutingResources(experts.length, CLUSTERS, null, features, 1.0)
                : RoutingResources.none(experts.length);
        Routers routers = new Routers(resources);
        Mixture mixture = new Mixture(
                "m",
                List.of(experts),
                routers.create(RouterSpec.of("uniform")),
                new LetterDetokenizer(VOCABULARY, Set.of()),
                Set.of());
        RecordingListener listener = new RecordingListener();
        Generation generation = mixture.start(
                new GenerationRequest(
                        PROMPT, SamplingParams.GREEDY, StoppingCriteria.maxNewTokens(tokens), routers.create(spec)),
                listener);
        while (!generation.step()) {
            // decode inline
        }
        listener.result.join();
        return listener;
    }
}
