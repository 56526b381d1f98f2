package io.tributary.routing.router;

import io.tributary.routing.Prompt;
import io.tributary.routing.mixing.Weights;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class CentroidRouterTest {

    private static final AtomicLong SEEDS = new AtomicLong(7);
    private static final Prompt IMAGE_PROMPT = Prompt.ofTokens(1, 2, 3);

    @RepeatedTest(100)
    void softWeightsAreTheTemperedSoftmaxOfCentredCosines() {
        SplittableRandom random = new SplittableRandom(SEEDS.getAndIncrement());
        int experts = 2 + random.nextInt(5);
        int dimension = 1 + random.nextInt(16);
        ClusterModel clusters = randomClusters(random, experts, dimension);
        float[] feature = randomVector(random, dimension);
        double temperature = 0.5 + 30 * random.nextDouble();

        double[] weights = start(
                        new CentroidRouter(clusters, prompt -> Optional.of(feature), temperature, Selection.SOFT),
                        experts)
                .weights();

        double[] expected = new double[experts];
        double sum = 0;
        for (int k = 0; k < experts; k++) {
            expected[k] =
                    Math.exp(temperature * cosine(minus(feature, clusters.globalMean()), clusters.centroids()[k]));
            sum += expected[k];
        }
        for (int k = 0; k < experts; k++) {
            assertThat(weights[k]).isCloseTo(expected[k] / sum, within(1e-9));
        }
        assertThat(Arrays.stream(weights).sum()).isCloseTo(1.0, within(1e-12));
    }

    @RepeatedTest(100)
    void topKWithKEqualToTheNumberOfExpertsIsSoftAndHardIsTheArgmax() {
        SplittableRandom random = new SplittableRandom(SEEDS.getAndIncrement());
        int experts = 2 + random.nextInt(5);
        ClusterModel clusters = randomClusters(random, experts, 8);
        float[] feature = randomVector(random, 8);
        FeatureExtractor features = prompt -> Optional.of(feature);

        double[] soft = start(new CentroidRouter(clusters, features, 21.79, Selection.SOFT), experts)
                .weights();
        double[] topAll = start(new CentroidRouter(clusters, features, 21.79, Selection.topK(experts)), experts)
                .weights();
        double[] hard = start(new CentroidRouter(clusters, features, 21.79, Selection.HARD), experts)
                .weights();
        double[] top1 = start(new CentroidRouter(clusters, features, 21.79, Selection.topK(1)), experts)
                .weights();

        assertThat(topAll).containsExactly(soft, within(1e-15));
        int best = Weights.argmax(clusters.cosineScores(feature));
        assertThat(hard).containsExactly(Weights.oneHot(experts, best));
        assertThat(top1).containsExactly(hard);
    }

    @Test
    void topKKeepsTheKLargestRenormalized() {
        double[] kept = Selection.topK(2).apply(new double[] {0.1, 0.4, 0.2, 0.3});
        assertThat(kept).containsExactly(new double[] {0, 4 / 7.0, 0, 3 / 7.0}, within(1e-12));
    }

    @Test
    void theCentroidsMustMatchTheFeatureAndTheMixture() {
        ClusterModel clusters =
                new ClusterModel(new float[][] {{1, 0}, {0, 1}}, new float[] {0, 0}, new double[] {1, 1});
        CentroidRouter router = new CentroidRouter(clusters, prompt -> Optional.of(new float[3]), 1, Selection.SOFT);

        assertThatThrownBy(() -> start(router, 2))
                .hasMessage("router feature has dimension 3 but the centroids have 2");
        assertThatThrownBy(() -> start(router, 3)).hasMessage("2 centroids for a mixture of 3 experts");
        assertThatThrownBy(() -> new ClusterModel(new float[][] {{1, 0}, {0, 1, 2}}, new float[2], new double[] {1, 1}))
                .hasMessage("centroid 1 has dimension 3 but the global mean has 2");
        assertThatThrownBy(() -> new ClusterModel(new float[][] {{1, Float.NaN}}, new float[2], new double[] {1}))
                .hasMessage("centroid 0 contains a non-finite value: NaN");
        assertThatThrownBy(() -> new ClusterModel(new float[][] {{1, 0}}, new float[2], new double[] {-1}))
                .hasMessage("weight 0 is negative: -1.0");
    }

    static RoutingSession start(Router router, int experts) {
        return router.start(new RoutingContext(IMAGE_PROMPT, experts));
    }

    static ClusterModel randomClusters(SplittableRandom random, int experts, int dimension) {
        float[][] centroids = new float[experts][];
        double[] priors = new double[experts];
        for (int k = 0; k < experts; k++) {
            centroids[k] = randomVector(random, dimension);
            priors[k] = 0.1 + random.nextDouble();
        }
        return new ClusterModel(centroids, randomVector(random, dimension), priors);
    }

    static float[] randomVector(SplittableRandom random, int dimension) {
        float[] vector = new float[dimension];
        for (int i = 0; i < dimension; i++) {
            vector[i] = (float) random.nextGaussian();
        }
        return vector;
    }

    private static double[] minus(float[] a, float[] b) {
        double[] difference = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            difference[i] = (double) a[i] - b[i];
        }
        return difference;
    }

    private static double cosine(double[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
