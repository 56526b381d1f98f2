package io.tributary.server.mixture;

import io.tributary.model.image.ImageLimits;
import io.tributary.model.npy.Npy;
import io.tributary.routing.Prompt;
import io.tributary.routing.router.RouterSpec;
import io.tributary.routing.router.Routers;
import io.tributary.routing.router.RoutingContext;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Optional;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The paper's clustering outputs, written by NumPy as its scripts save them, named by a manifest unchanged: hard
 * routing must be the paper's assignment, argmax cosine of the L2-normalised feature (for two-stage files, the coarse
 * label of the nearest fine centroid), computed here independently in double.
 */
class PaperClusterFilesTest {

    private static final Path DIR = resources();

    @Test
    void singleStageCentroidsRouteByArgmaxCosine() throws Exception {
        float[][] centroids = Npy.read(DIR.resolve("clustering_centroids.npy")).toMatrix();
        RouterLoader.Artefacts artefacts = artefacts(entry("clustering_centroids.npy", null));
        SplittableRandom random = new SplittableRandom(1);
        for (int trial = 0; trial < 300; trial++) {
            float[] feature = randomFeature(random);
            assertThat(hardChoice(artefacts, feature)).isEqualTo(argmaxCosine(feature, centroids));
        }
    }

    @Test
    void twoStageFilesRouteToTheCoarseClusterOfTheNearestFineCentroid() throws Exception {
        float[][] fine = Npy.read(DIR.resolve("clustering_fine_centroids.npy")).toMatrix();
        int[] mapping =
                Npy.read(DIR.resolve("clustering_fine_to_coarse_mapping.npy")).toInts();
        RouterLoader.Artefacts artefacts =
                artefacts(entry("clustering_fine_centroids.npy", "clustering_fine_to_coarse_mapping.npy"));
        SplittableRandom random = new SplittableRandom(2);
        for (int trial = 0; trial < 300; trial++) {
            float[] feature = randomFeature(random);
            assertThat(hardChoice(artefacts, feature)).isEqualTo(mapping[argmaxCosine(feature, fine)]);
        }
    }

    @Test
    void aMappingOfTheWrongLengthIsAManifestMistake() {
        MixtureManifest.RouterEntry entry = entry("clustering_centroids.npy", "clustering_fine_to_coarse_mapping.npy");
        assertThatThrownBy(() -> RouterLoader.check(DIR.resolve("mixture.yaml"), entry, 3, ImageLimits.DEFAULT))
                .isInstanceOf(InvalidManifestException.class)
                .hasMessageContaining("router.centroids")
                .hasMessageContaining("maps 12 fine centroids but there are 3");
    }

    private static MixtureManifest.RouterEntry entry(String centroids, String fineToCoarse) {
        return new MixtureManifest.RouterEntry(
                "hard", null, null, null, null, centroids, null, null, fineToCoarse, null);
    }

    private static RouterLoader.Artefacts artefacts(MixtureManifest.RouterEntry entry) {
        RouterLoader.Artefacts artefacts =
                RouterLoader.check(DIR.resolve("mixture.yaml"), entry, 3, ImageLimits.DEFAULT);
        assertThat(artefacts.clusters().normalizeFeature())
                .as("the paper's features are L2-normalised")
                .isTrue();
        return artefacts;
    }

    /** The expert that hard routing gives all the weight to, for a prompt whose image has this feature. */
    private static int hardChoice(RouterLoader.Artefacts artefacts, float[] feature) {
        Routers routers = RouterLoader.routers(artefacts, 3, prompt -> Optional.of(feature));
        double[] weights = routers.create(RouterSpec.of("hard"))
                .start(new RoutingContext(Prompt.ofTokens(1), 3))
                .weights();
        int chosen = -1;
        for (int k = 0; k < weights.length; k++) {
            if (weights[k] == 1.0) {
                chosen = k;
            } else {
                assertThat(weights[k]).isZero();
            }
        }
        return chosen;
    }

    private static int argmaxCosine(float[] feature, float[][] centroids) {
        int best = -1;
        double bestCosine = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < centroids.length; k++) {
            double dot = 0;
            double featureNorm = 0;
            double centroidNorm = 0;
            for (int j = 0; j < feature.length; j++) {
                dot += (double) feature[j] * centroids[k][j];
                featureNorm += (double) feature[j] * feature[j];
                centroidNorm += (double) centroids[k][j] * centroids[k][j];
            }
            double cosine = dot / Math.sqrt(featureNorm * centroidNorm);
            if (cosine > bestCosine) {
                bestCosine = cosine;
                best = k;
            }
        }
        return best;
    }

    private static float[] randomFeature(SplittableRandom random) {
        float[] feature = new float[16];
        for (int j = 0; j < feature.length; j++) {
            feature[j] = (float) (random.nextGaussian() * 3);
        }
        return feature;
    }

    private static Path resources() {
        try {
            return Path.of(PaperClusterFilesTest.class
                            .getResource("/paper-clusters/clustering_centroids.npy")
                            .toURI())
                    .getParent();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
