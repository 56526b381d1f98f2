package io.tributary.routing.sampling;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class TokenSamplerTest {

    private static final float[] DISTRIBUTION = logOf(0.1, 0.6, 0.05, 0.25);

    @Test
    void greedyTakesTheMostLikelyToken() {
        TokenSampler sampler = new TokenSampler(SamplingParams.GREEDY, new int[0], 1);
        for (int i = 0; i < 10; i++) {
            assertThat(sampler.sample(DISTRIBUTION)).isEqualTo(1);
        }
    }

    @Test
    void samplingFollowsTheDistribution() {
        TokenSampler sampler = new TokenSampler(params(1.0, 0, 1.0, 7L), new int[0], 0);
        int[] counts = new int[4];
        int draws = 40_000;
        for (int i = 0; i < draws; i++) {
            counts[sampler.sample(DISTRIBUTION)]++;
        }
        assertThat(counts[0] / (double) draws).isCloseTo(0.10, within(0.01));
        assertThat(counts[1] / (double) draws).isCloseTo(0.60, within(0.01));
        assertThat(counts[2] / (double) draws).isCloseTo(0.05, within(0.01));
        assertThat(counts[3] / (double) draws).isCloseTo(0.25, within(0.01));
    }

    @Test
    void theSameSeedDrawsTheSameTokens() {
        TokenSampler a = new TokenSampler(params(1.0, 0, 1.0, 123L), new int[0], 0);
        TokenSampler b = new TokenSampler(params(1.0, 0, 1.0, 123L), new int[0], 99);
        for (int i = 0; i < 100; i++) {
            assertThat(a.sample(DISTRIBUTION)).isEqualTo(b.sample(DISTRIBUTION));
        }
        assertThat(a.seed()).isEqualTo(123L);
    }

    @Test
    void aDrawnSeedIsReportedAndReproducible() {
        TokenSampler drawn = new TokenSampler(params(1.0, 0, 1.0, null), new int[0], 555);
        TokenSampler replay = new TokenSampler(params(1.0, 0, 1.0, drawn.seed()), new int[0], 0);
        for (int i = 0; i < 100; i++) {
            assertThat(drawn.sample(DISTRIBUTION)).isEqualTo(replay.sample(DISTRIBUTION));
        }
    }

    @Test
    void topKKeepsOnlyTheKMostLikely() {
        TokenSampler sampler = new TokenSampler(params(1.0, 2, 1.0, 3L), new int[0], 0);
        for (int i = 0; i < 500; i++) {
            assertThat(sampler.sample(DISTRIBUTION)).isIn(1, 3);
        }
    }

    @Test
    void topPKeepsTheSmallestNucleus() {
        // 0.6 + 0.25 = 0.85 ≥ 0.8: tokens 1 and 3 form the nucleus.
        TokenSampler sampler = new TokenSampler(params(1.0, 0, 0.8, 3L), new int[0], 0);
        int[] counts = new int[4];
        for (int i = 0; i < 20_000; i++) {
            counts[sampler.sample(DISTRIBUTION)]++;
        }
        assertThat(counts[0] + counts[2]).isZero();
        assertThat(counts[1] / 20_000.0).isCloseTo(0.6 / 0.85, within(0.015));
    }

    @Test
    void topPStopsAtTheTokenWhoseCumulativeMassReachesPExactly() {
        // Equal log-probabilities make every unnormalised probability exactly 1, so the mass after the third token is
        // exactly 0.75 (a non-uniform distribution's exp of float log-probabilities is never exact). The nucleus is
        // the smallest prefix reaching p: tokens 0, 1 and 2 (ties keep token-id order); token 3 is never drawn.
        float[] uniform = logOf(0.25, 0.25, 0.25, 0.25);
        assertThat(tokensDrawn(uniform, 0.75)).containsExactly(0, 1, 2);
        assertThat(tokensDrawn(uniform, 0.5)).containsExactly(0, 1);
        assertThat(tokensDrawn(uniform, 0.25)).containsExactly(0);
    }

    /** The tokens drawn by one fresh sampler per seed 0..199: with a third or more of the mass each, all show. */
    private static SortedSet<Integer> tokensDrawn(float[] distribution, double topP) {
        SortedSet<Integer> drawn = new TreeSet<>();
        for (long seed = 0; seed < 200; seed++) {
            drawn.add(new TokenSampler(params(1.0, 0, topP, seed), new int[0], 0).sample(distribution));
        }
        return drawn;
    }

    @Test
    void typicalPKeepsTheTokensWhoseSurpriseIsClosestToTheEntropy() {
        // p = 0.5, 0.2, 0.2, 0.1: entropy 1.22 nats; surprises 0.69, 1.61, 1.61, 2.30. The two 0.2 tokens are the
        // most typical (|1.61 - 1.22| = 0.39) and reach 0.3 together: the most likely token is left out.
        float[] distribution = logs(0.5, 0.2, 0.2, 0.1);
        TokenSampler sampler = new TokenSampler(new SamplingParams(true, 1.0, 0, 1.0, 1.0, 5L, 0.3), new int[0], 0);
        int[] counts = new int[4];
        for (int i = 0; i < 20_000; i++) {
            counts[sampler.sample(distribution)]++;
        }
        assertThat(counts[0] + counts[3]).isZero();
        assertThat(counts[1] / 20_000.0).isCloseTo(0.5, within(0.02));

        // A mass of 0.9 takes the next most typical too (0.5, |0.69 - 1.22| = 0.53), not the least likely token.
        TokenSampler wider = new TokenSampler(new SamplingParams(true, 1.0, 0, 1.0, 1.0, 5L, 0.9), new int[0], 0);
        int[] widerCounts = new int[4];
        for (int i = 0; i < 20_000; i++) {
            widerCounts[wider.sample(distribution)]++;
        }
        assertThat(widerCounts[3]).isZero();
        assertThat(widerCounts[0] / 20_000.0).isCloseTo(0.5 / 0.9, within(0.02));
    }

    private static float[] logs(double... probabilities) {
        float[] logs = new float[probabilities.length];
        for (int i = 0; i < logs.length; i++) {
            logs[i] = (float) Math.log(probabilities[i]);
        }
        return logs;
    }

    @Test
    void lowTemperatureSharpensTowardsGreedy() {
        TokenSampler sampler = new TokenSampler(params(0.05, 0, 1.0, 3L), new int[0], 0);
        int ones = 0;
        for (int i = 0; i < 1_000; i++) {
            ones += sampler.sample(DISTRIBUTION) == 1 ? 1 : 0;
        }
        assertThat(ones).isGreaterThan(990);
    }

    @Test
    void repetitionPenaltyDemotesTokensAlreadySeen() {
        SamplingParams penalized = new SamplingParams(false, 1.0, 0, 1.0, 10.0, null);
        TokenSampler sampler = new TokenSampler(penalized, new int[] {1}, 0);
        assertThat(sampler.sample(DISTRIBUTION)).isEqualTo(3); // 1 was in the prompt
        assertThat(sampler.sample(DISTRIBUTION)).isEqualTo(0); // now 3 is seen too
    }

    @Test
    void warpersImplySamplingAsInTgi() {
        assertThat(SamplingParams.GREEDY.sampling()).isFalse();
        assertThat(params(0.7, 0, 1.0, null).sampling()).isTrue();
        assertThat(new SamplingParams(false, 1.0, 5, 1.0, 1.0, null).sampling()).isTrue();
    }

    @Test
    void rejectsInvalidParameters() {
        assertThatThrownBy(() -> params(0, 0, 1.0, null)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> params(1, -1, 1.0, null)).hasMessageContaining("top_k");
        assertThatThrownBy(() -> params(1, 0, 0.0, null)).hasMessageContaining("top_p");
        assertThatThrownBy(() -> params(1, 0, 1.5, null)).hasMessageContaining("top_p");
        assertThatThrownBy(() -> new SamplingParams(true, 1, 0, 1, 0, null)).hasMessageContaining("repetition_penalty");
    }

    @Test
    void frequencyAndPresencePenaltiesCountOnlyWhatWasGenerated() {
        // 0.6 against 0.25: log ratio 0.875. One occurrence at frequency 1 outweighs it; presence alone does too.
        TokenSampler frequency = new TokenSampler(greedyWith(new Penalties(0, 1, Map.of())), new int[] {1, 1, 1}, 0);
        assertThat(frequency.sample(DISTRIBUTION))
                .as("the prompt's tokens are not counted")
                .isEqualTo(1);
        assertThat(frequency.sample(DISTRIBUTION))
                .as("generated once: penalised by 1")
                .isEqualTo(3);
        TokenSampler presence = new TokenSampler(greedyWith(new Penalties(0.9, 0, Map.of())), new int[0], 0);
        assertThat(presence.sample(DISTRIBUTION)).isEqualTo(1);
        assertThat(presence.sample(DISTRIBUTION)).isEqualTo(3);
        assertThat(presence.sample(DISTRIBUTION))
                .as("3 is penalised now as much as 1")
                .isEqualTo(1);
        TokenSampler slight = new TokenSampler(greedyWith(new Penalties(0.5, 0, Map.of())), new int[0], 0);
        slight.sample(DISTRIBUTION);
        assertThat(slight.sample(DISTRIBUTION))
                .as("0.5 is less than the log ratio")
                .isEqualTo(1);
    }

    @Test
    void logitBiasBansOrForcesATokenGreedyOrSampled() {
        TokenSampler banned = new TokenSampler(greedyWith(new Penalties(0, 0, Map.of(1, -100.0))), new int[0], 0);
        assertThat(banned.sample(DISTRIBUTION)).isEqualTo(3);
        SamplingParams forced =
                new SamplingParams(true, 1.0, 0, 1.0, 1.0, 9L, 1.0, 0, new Penalties(0, 0, Map.of(2, 100.0)));
        TokenSampler sampler = new TokenSampler(forced, new int[0], 0);
        for (int i = 0; i < 200; i++) {
            assertThat(sampler.sample(DISTRIBUTION)).isEqualTo(2);
        }
    }

    @Test
    void minPKeepsOnlyTokensAtLeastThatFractionAsLikelyAsTheBest() {
        // 0.6 * 0.3 = 0.18: tokens 1 (0.6) and 3 (0.25) stay, 0 (0.1) and 2 (0.05) go, in proportion 0.6 : 0.25.
        SamplingParams minP = new SamplingParams(true, 1.0, 0, 1.0, 1.0, 11L, 1.0, 0.3, Penalties.NONE);
        assertThat(minP.sampling()).isTrue();
        TokenSampler sampler = new TokenSampler(minP, new int[0], 0);
        int[] counts = new int[4];
        int draws = 20_000;
        for (int i = 0; i < draws; i++) {
            counts[sampler.sample(DISTRIBUTION)]++;
        }
        assertThat(counts[0]).isZero();
        assertThat(counts[2]).isZero();
        assertThat(counts[1] / (double) draws).isCloseTo(0.6 / 0.85, within(0.015));
    }

    @Test
    void onALargeFlatVocabularyTopPDrawsFromExactlyTheNucleus() {
        // 20,000 tokens, log-probabilities spread wide and shuffled: the nucleus of 0.5 holds hundreds of tokens, far
        // below the best one's score, so the window the sampler sorts must widen several times.
        int vocabulary = 20_000;
        java.util.Random random = new java.util.Random(4);
        double[] weights = new double[vocabulary];
        double sum = 0;
        for (int i = 0; i < vocabulary; i++) {
            weights[i] = Math.exp(1.5 * random.nextGaussian());
            sum += weights[i];
        }
        float[] logProbs = new float[vocabulary];
        for (int i = 0; i < vocabulary; i++) {
            logProbs[i] = (float) Math.log(weights[i] / sum);
        }
        Integer[] byProbability = new Integer[vocabulary];
        for (int i = 0; i < vocabulary; i++) {
            byProbability[i] = i;
        }
        java.util.Arrays.sort(byProbability, (x, y) -> Float.compare(logProbs[y], logProbs[x]));
        java.util.Set<Integer> nucleus = new java.util.HashSet<>();
        double mass = 0;
        for (int i = 0; mass < 0.5; i++) {
            nucleus.add(byProbability[i]);
            mass += Math.exp(logProbs[byProbability[i]]);
        }
        TokenSampler sampler = new TokenSampler(params(1.0, 0, 0.5, 21L), new int[0], 0);
        java.util.Set<Integer> drawn = new java.util.HashSet<>();
        for (int i = 0; i < 500; i++) {
            drawn.add(sampler.sample(logProbs));
        }
        assertThat(nucleus).hasSizeGreaterThan(100);
        assertThat(nucleus).containsAll(drawn);
        assertThat(drawn.size()).as("much of the nucleus is drawn").isGreaterThan(nucleus.size() / 4);
    }

    @Test
    void theKthLargestScoreAndTheSortedHeadSkipImpossibleTokensAndBreakTiesById() {
        float ninf = Float.NEGATIVE_INFINITY;
        float[] scores = {-1f, ninf, -0.5f, -1f, -3f, ninf, -0.5f};
        assertThat(TokenSampler.kthLargest(scores, 3)).isEqualTo(-1f);
        assertThat(TokenSampler.kthLargest(scores, 9))
                .as("fewer possible tokens than k")
                .isEqualTo(-3f);
        assertThat(TokenSampler.sortedFrom(scores, -1f)).containsExactly(2, 6, 0, 3);
        assertThat(TokenSampler.sortedFrom(scores, -Float.MAX_VALUE)).containsExactly(2, 6, 0, 3, 4);
    }

    @Test
    void penaltiesOutsideTheirRangesAreRefused() {
        assertThatThrownBy(() -> new Penalties(2.5, 0, Map.of())).hasMessageContaining("presence_penalty");
        assertThatThrownBy(() -> new Penalties(0, -3, Map.of())).hasMessageContaining("frequency_penalty");
        assertThatThrownBy(() -> new Penalties(0, 0, Map.of(5, 101.0))).hasMessageContaining("logit_bias");
        assertThatThrownBy(() -> new SamplingParams(true, 1, 0, 1, 1, null, 1, 1.5, Penalties.NONE))
                .hasMessageContaining("min_p");
    }

    private static SamplingParams greedyWith(Penalties penalties) {
        return new SamplingParams(false, 1.0, 0, 1.0, 1.0, null, 1.0, 0, penalties);
    }

    private static SamplingParams params(double temperature, int topK, double topP, Long seed) {
        return new SamplingParams(true, temperature, topK, topP, 1.0, seed);
    }

    private static float[] logOf(double... probabilities) {
        float[] logs = new float[probabilities.length];
        for (int i = 0; i < logs.length; i++) {
            logs[i] = (float) Math.log(probabilities[i]);
        }
        return logs;
    }
}
