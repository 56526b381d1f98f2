package io.tributary.remote.wire;

import io.tributary.remote.proto.Distribution;
import io.tributary.routing.mixing.LogMixture;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The wire forms of a distribution: exact is lossless, compact stays within its stated bound. */
class DistributionsTest {

    private static final int VOCABULARY = 5_000;

    @Test
    void theExactFormIsBitForBitAndFourBytesAToken() {
        float[] logProbs = distribution(new SplittableRandom(1), 2.0);
        Distribution exact = Distributions.encode(logProbs, 0);

        assertThat(Distributions.decode(exact, VOCABULARY)).containsExactly(logProbs);
        assertThat(exact.getSerializedSize()).isBetween(4 * VOCABULARY, 4 * VOCABULARY + 16);
    }

    @Test
    void eachCompactDistributionKeepsAllButEpsilonAndSumsToOne() {
        SplittableRandom random = new SplittableRandom(2);
        for (double epsilon : new double[] {1e-1, 1e-2, 1e-3, 1e-5}) {
            for (double sharpness : new double[] {0.5, 2, 4}) {
                float[] p = distribution(random, sharpness);
                Distribution compact = Distributions.encode(p, epsilon);
                float[] q = Distributions.decode(compact, VOCABULARY);
                if (compact.hasDense()) {
                    assertThat(q).containsExactly(p); // too flat to compact: exact, distance 0
                    continue;
                }

                double tail = compact.getSparse().getTailProbability();
                assertThat(tail).isBetween(0.0, epsilon);
                assertThat(sumOfProbabilities(q)).isCloseTo(1.0, within(1e-5));
                assertThat(totalVariation(p, q)).isLessThanOrEqualTo(tail + 1e-6);
                for (int i = 0; i < compact.getSparse().getTokenIdsCount(); i++) {
                    int token = compact.getSparse().getTokenIds(i);
                    assertThat(q[token]).isEqualTo(p[token]); // kept tokens travel exactly
                }
            }
        }
    }

    @Test
    void theMixedCompactDistributionIsWithinEpsilonOfTheExactMixtureInTotalVariation() {
        SplittableRandom random = new SplittableRandom(3);
        for (int trial = 0; trial < 50; trial++) {
            double epsilon = Math.pow(10, -1 - random.nextInt(5));
            int experts = 2 + random.nextInt(3);
            double[] weights = new double[experts];
            float[][] exact = new float[experts][];
            float[][] compact = new float[experts][];
            double total = 0;
            for (int k = 0; k < experts; k++) {
                weights[k] = random.nextDouble() + 0.01;
                total += weights[k];
                exact[k] = distribution(random, 0.5 + 4 * random.nextDouble());
                compact[k] = Distributions.decode(Distributions.encode(exact[k], epsilon), VOCABULARY);
            }
            for (int k = 0; k < experts; k++) {
                weights[k] /= total;
            }
            double distance = totalVariation(LogMixture.mix(weights, exact), LogMixture.mix(weights, compact));
            assertThat(distance).as("ε = %s", epsilon).isLessThanOrEqualTo(epsilon + 1e-6);
        }
    }

    @Test
    void aDistributionTooFlatToCompactTravelsExact() {
        float[] flat = distribution(new SplittableRandom(5), 0.1);
        Distribution encoded = Distributions.encode(flat, 1e-3);

        assertThat(encoded.hasDense()).isTrue();
        assertThat(Distributions.decode(encoded, VOCABULARY)).containsExactly(flat);
    }

    @Test
    void aPeakedDistributionTravelsInAFewTokens() {
        float[] peaked = distribution(new SplittableRandom(4), 6.0);
        Distribution compact = Distributions.encode(peaked, 1e-3);

        assertThat(compact.getSparse().getTokenIdsCount()).isLessThan(VOCABULARY / 10);
        assertThat(compact.getSerializedSize())
                .isLessThan(Distributions.encode(peaked, 0).getSerializedSize() / 10);
    }

    /** Log-softmax of Gaussian logits: larger sharpness, more peaked, as trained language models are. */
    private static float[] distribution(SplittableRandom random, double sharpness) {
        double[] logits = new double[VOCABULARY];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < VOCABULARY; i++) {
            logits[i] = sharpness * random.nextGaussian();
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (double logit : logits) {
            sum += Math.exp(logit - max);
        }
        double logZ = max + Math.log(sum);
        float[] logProbs = new float[VOCABULARY];
        for (int i = 0; i < VOCABULARY; i++) {
            logProbs[i] = (float) (logits[i] - logZ);
        }
        return logProbs;
    }

    private static double sumOfProbabilities(float[] logProbs) {
        double sum = 0;
        for (float logProb : logProbs) {
            sum += Math.exp(logProb);
        }
        return sum;
    }

    private static double totalVariation(float[] p, float[] q) {
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            sum += Math.abs(Math.exp(p[i]) - Math.exp(q[i]));
        }
        return sum / 2;
    }
}
