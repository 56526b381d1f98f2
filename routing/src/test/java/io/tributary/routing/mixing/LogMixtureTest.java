package io.tributary.routing.mixing;

import io.tributary.routing.testing.FakeExpert;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class LogMixtureTest {

    private static final AtomicLong SEEDS = new AtomicLong(42);

    @RepeatedTest(200)
    void mixedDistributionIsTheWeightedSumOfProbabilitiesAndSumsToOne() {
        SplittableRandom random = new SplittableRandom(SEEDS.getAndIncrement());
        int experts = 1 + random.nextInt(6);
        int vocabulary = 2 + random.nextInt(300);
        float[][] logProbs = randomDistributions(random, experts, vocabulary);
        double[] weights = Weights.normalize(randomWeights(random, experts));

        float[] mixed = LogMixture.mix(weights, logProbs);

        double total = 0;
        for (int x = 0; x < vocabulary; x++) {
            double expected = 0;
            for (int k = 0; k < experts; k++) {
                expected += weights[k] * Math.exp(logProbs[k][x]);
            }
            assertThat(Math.exp(mixed[x])).isCloseTo(expected, within(1e-6));
            total += Math.exp(mixed[x]);
        }
        assertThat(total).isCloseTo(1.0, within(1e-5));
    }

    @RepeatedTest(50)
    void oneHotWeightsReproduceThatExpertExactly() {
        SplittableRandom random = new SplittableRandom(SEEDS.getAndIncrement());
        int experts = 2 + random.nextInt(4);
        float[][] logProbs = randomDistributions(random, experts, 100);
        int chosen = random.nextInt(experts);

        float[] mixed = LogMixture.mix(Weights.oneHot(experts, chosen), logProbs);

        assertThat(mixed).containsExactly(logProbs[chosen]);
    }

    @Test
    void mixesProbabilitiesNotLogits() {
        // Two confident experts that disagree. The mixture keeps both modes; a logit average (a product of
        // experts) would instead crown the token that neither expert prefers.
        float[][] logProbs = {
            logOf(0.900, 0.001, 0.099), logOf(0.001, 0.900, 0.099),
        };
        float[] mixed = LogMixture.mix(new double[] {0.5, 0.5}, logProbs);

        assertThat(Math.exp(mixed[0])).isCloseTo(0.4505, within(1e-6));
        assertThat(Math.exp(mixed[1])).isCloseTo(0.4505, within(1e-6));
        assertThat(Math.exp(mixed[2])).isCloseTo(0.099, within(1e-6));
        double[] logitAverage = normalizedLogitAverage(logProbs);
        assertThat(logitAverage[2]).isGreaterThan(0.6);
    }

    @Test
    void anExpertThatWasNotRunMayBeAbsent() {
        float[][] logProbs = {logOf(0.5, 0.5), null, logOf(0.9, 0.1)};
        float[] mixed = LogMixture.mix(new double[] {0.5, 0, 0.5}, logProbs);
        assertThat(Math.exp(mixed[0])).isCloseTo(0.7, within(1e-6));
    }

    @Test
    void tokensNoExpertAllowsStayImpossible() {
        float[][] logProbs = {{0f, Float.NEGATIVE_INFINITY}, {0f, Float.NEGATIVE_INFINITY}};
        float[] mixed = LogMixture.mix(new double[] {0.3, 0.7}, logProbs);
        assertThat(mixed[0]).isCloseTo(0f, within(1e-7f));
        assertThat(mixed[1]).isEqualTo(Float.NEGATIVE_INFINITY);
    }

    @Test
    void restrictingToTheTokenizerMasksPaddedRowsAndRenormalizes() {
        float[] padded = logOf(0.2, 0.3, 0.1, 0.4);
        float[] restricted = LogMixture.restrict(padded, 3);
        assertThat(Math.exp(restricted[0])).isCloseTo(1 / 3.0, within(1e-6));
        assertThat(Math.exp(restricted[1])).isCloseTo(0.5, within(1e-6));
        assertThat(Math.exp(restricted[2])).isCloseTo(1 / 6.0, within(1e-6));
        assertThat(restricted[3]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(LogMixture.restrict(padded, 4)).isSameAs(padded);
    }

    @Test
    void rejectsMismatchedShapes() {
        assertThatThrownBy(() -> LogMixture.mix(new double[] {1}, new float[2][3]))
                .hasMessageContaining("1 weights for 2 experts");
        assertThatThrownBy(() -> LogMixture.mix(new double[] {0.5, 0.5}, new float[][] {new float[3], new float[4]}))
                .hasMessageContaining("expected 3");
    }

    static float[][] randomDistributions(SplittableRandom random, int experts, int vocabulary) {
        float[][] logProbs = new float[experts][];
        for (int k = 0; k < experts; k++) {
            FakeExpert expert = new FakeExpert("e" + k, vocabulary, random.nextLong());
            logProbs[k] = expert.logProbsAfter(new int[] {random.nextInt(vocabulary)});
        }
        return logProbs;
    }

    private static double[] randomWeights(SplittableRandom random, int experts) {
        double[] weights = new double[experts];
        for (int k = 0; k < experts; k++) {
            weights[k] = random.nextInt(4) == 0 ? 0 : random.nextDouble();
        }
        weights[random.nextInt(experts)] += 0.01; // at least one positive
        return weights;
    }

    private static float[] logOf(double... probabilities) {
        float[] logs = new float[probabilities.length];
        for (int i = 0; i < logs.length; i++) {
            logs[i] = (float) Math.log(probabilities[i]);
        }
        return logs;
    }

    private static double[] normalizedLogitAverage(float[][] logProbs) {
        int vocabulary = logProbs[0].length;
        double[] p = new double[vocabulary];
        double z = 0;
        for (int x = 0; x < vocabulary; x++) {
            double mean = 0;
            for (float[] row : logProbs) {
                mean += row[x] / logProbs.length;
            }
            p[x] = Math.exp(mean);
            z += p[x];
        }
        for (int x = 0; x < vocabulary; x++) {
            p[x] /= z;
        }
        return p;
    }
}
