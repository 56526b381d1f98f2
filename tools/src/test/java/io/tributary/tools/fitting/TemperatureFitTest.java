package io.tributary.tools.fitting;

import io.tributary.routing.mixing.Weights;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class TemperatureFitTest {

    private static final double TRUE_TEMPERATURE = 12;

    @Test
    void theTemperatureFoundIsTheBestOfAFineGrid() {
        TemperatureFit fit = samples(new Random(1), 400);
        double best = fit.best(0, 100);
        double gridBest = Double.NEGATIVE_INFINITY;
        for (int i = 0; i <= 10_000; i++) {
            gridBest = Math.max(gridBest, fit.logLikelihood(i * 0.01));
        }
        assertThat(fit.logLikelihood(best)).isGreaterThanOrEqualTo(gridBest - 1e-6);
    }

    @Test
    void onDataDrawnFromASoftRouterTheFitRecoversItsTemperatureAndWinsOnHeldOutData() {
        TemperatureFit train = samples(new Random(2), 3000);
        TemperatureFit heldOut = samples(new Random(3), 3000);
        double best = train.best(0, 100);
        assertThat(best).isCloseTo(TRUE_TEMPERATURE, within(3.0));
        double heldOutBest = heldOut.logLikelihood(best);
        for (double other : new double[] {0, 1, 100}) {
            assertThat(heldOutBest).as("T = %s", other).isGreaterThan(heldOut.logLikelihood(other));
        }
        double heldOutGridBest = Double.NEGATIVE_INFINITY;
        for (int i = 0; i <= 1000; i++) {
            heldOutGridBest = Math.max(heldOutGridBest, heldOut.logLikelihood(i * 0.1));
        }
        assertThat(heldOutBest).isGreaterThan(heldOutGridBest - 0.002 * Math.abs(heldOutGridBest));
        for (int k = 0; k < 4; k++) {
            assertThat(heldOutBest).isGreaterThan(heldOut.singleExpertLogLikelihood(k));
        }
    }

    @Test
    void anOptimumInTheUpperHalfOfTheIntervalIsFound() {
        // Two experts whose cosines differ by d = 0.02, so softmax gives expert 0 the weight w = σ(0.02 T). Four
        // samples only expert 0 can answer and one only expert 1 can: L(T) = 4 log w + log(1 - w), highest at
        // w = 4/5, i.e. T* = 50 ln 4 ≈ 69.3, in the upper half of [0, 100] and of [40, 75].
        double[] cosines = {0.01, -0.01};
        double[] onlyFirst = {0, Double.NEGATIVE_INFINITY};
        double[] onlySecond = {Double.NEGATIVE_INFINITY, 0};
        TemperatureFit fit = new TemperatureFit(
                new double[][] {cosines, cosines, cosines, cosines, cosines},
                new double[][] {onlyFirst, onlyFirst, onlyFirst, onlyFirst, onlySecond});
        double optimum = 50 * Math.log(4);
        assertThat(fit.logLikelihood(optimum)).isCloseTo(4 * Math.log(0.8) + Math.log(0.2), within(1e-12));
        // Within one step of the 200-point grid.
        assertThat(fit.best(0, 100)).isCloseTo(optimum, within(100.0 / 200));
        assertThat(fit.best(40, 75)).isCloseTo(optimum, within(35.0 / 200));
    }

    @Test
    void atTemperatureZeroTheMixtureIsUniform() {
        TemperatureFit fit =
                new TemperatureFit(new double[][] {{0.9, -0.2}}, new double[][] {{Math.log(0.2), Math.log(0.6)}});
        assertThat(fit.logLikelihood(0)).isCloseTo(Math.log(0.4), within(1e-12));
    }

    /** Each sample's answer comes from an expert drawn from softmax(T · s): that expert explains it best. */
    private static TemperatureFit samples(Random random, int count) {
        double[][] cosines = new double[count][4];
        double[][] logLikelihoods = new double[count][4];
        for (int x = 0; x < count; x++) {
            double[] logits = new double[4];
            for (int k = 0; k < 4; k++) {
                cosines[x][k] = random.nextDouble() * 0.6 - 0.3;
                logits[k] = TRUE_TEMPERATURE * cosines[x][k];
            }
            double[] weights = Weights.softmax(logits);
            double u = random.nextDouble();
            int source = 0;
            for (double cumulative = weights[0]; cumulative < u && source < 3; cumulative += weights[++source]) {
                // walk to the drawn expert
            }
            for (int k = 0; k < 4; k++) {
                logLikelihoods[x][k] = (k == source ? -1 : -4) + random.nextGaussian() * 0.1;
            }
        }
        return new TemperatureFit(cosines, logLikelihoods);
    }
}
