package io.tributary.tools.router;

import io.tributary.model.npy.Npy;
import io.tributary.model.npy.NpyArray;
import io.tributary.model.router.RouterArtefactsReader;
import io.tributary.routing.router.ClusterModel;
import io.tributary.tools.clustering.Clustering;
import io.tributary.tools.clustering.Cosine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The cluster command's files, read back as the server and the paper's scripts read them. */
class ClusterCommandTest {

    private static final int GROUPS = 4;
    private static final int PER_GROUP = 50;

    @TempDir
    Path dir;

    @Test
    void singleStageWritesThePaperFilesAndClustersTheServerReadsWithDataSharesAsPriors() throws Exception {
        float[][] features = blobs();
        Npy.write(dir.resolve("features.npy"), NpyArray.ofMatrix(features));
        assertThat(RouterTools.run(
                        "cluster",
                        "--features",
                        dir.resolve("features.npy").toString(),
                        "-k",
                        "4",
                        "-o",
                        dir.resolve("out").toString()))
                .isZero();

        float[][] centroids =
                Npy.read(dir.resolve("out/clustering_centroids.npy")).toMatrix();
        int[] assignments =
                Npy.read(dir.resolve("out/clustering_assignments.npy")).toInts();
        assertThat(centroids).hasDimensions(4, 8);
        assertThat(Clustering.sizes(assignments, 4)).containsExactly(50, 50, 50, 50);
        ClusterModel served = RouterArtefactsReader.readClusters(dir.resolve("out/clusters.safetensors"), null);
        assertThat(served.normalizeFeature()).isTrue();
        assertThat(served.centroids()).isDeepEqualTo(centroids);
        int[] partition = Cosine.argmax(features, centroids);
        double[] shares = Clustering.priors(partition, 4);
        for (int k = 0; k < 4; k++) {
            assertThat(served.priors()[k]).isCloseTo(shares[k], within(1e-6));
        }
    }

    @Test
    void twoStageMapsEveryFineCentroidToACoarseClusterTheRouterFollows() throws Exception {
        Npy.write(dir.resolve("features.npy"), NpyArray.ofMatrix(blobs()));
        assertThat(RouterTools.run(
                        "cluster",
                        "--features",
                        dir.resolve("features.npy").toString(),
                        "-k",
                        "2",
                        "--two-stage",
                        "--fine-clusters",
                        "16",
                        "-o",
                        dir.resolve("out").toString()))
                .isZero();

        float[][] fine =
                Npy.read(dir.resolve("out/clustering_fine_centroids.npy")).toMatrix();
        int[] mapping = Npy.read(dir.resolve("out/clustering_fine_to_coarse_mapping.npy"))
                .toInts();
        assertThat(fine).hasNumberOfRows(16);
        assertThat(Npy.read(dir.resolve("out/clustering_coarse_centroids.npy")).toMatrix())
                .hasNumberOfRows(2);
        assertThat(Npy.read(dir.resolve("out/clustering_fine_assignments.npy")).toInts())
                .hasSize(GROUPS * PER_GROUP);
        assertThat(Clustering.sizes(mapping, 2)).containsExactly(8, 8);
        ClusterModel served = RouterArtefactsReader.readClusters(
                dir.resolve("out/clustering_fine_centroids.npy"),
                dir.resolve("out/clustering_fine_to_coarse_mapping.npy"),
                null,
                null);
        assertThat(served.clusters()).isEqualTo(2);
    }

    @Test
    void theMeanSubtractedVariantWritesTheMeanOfTheUnitFeatures() throws Exception {
        float[][] features = blobs();
        Npy.write(dir.resolve("features.npy"), NpyArray.ofMatrix(features));
        assertThat(RouterTools.run(
                        "cluster",
                        "--features",
                        dir.resolve("features.npy").toString(),
                        "-k",
                        "4",
                        "--subtract-mean",
                        "-o",
                        dir.resolve("out").toString()))
                .isZero();
        float[] mean = RouterArtefactsReader.readClusters(dir.resolve("out/clusters.safetensors"), null)
                .globalMean();
        float[][] unit = Cosine.normalizeRows(features);
        for (int j = 0; j < 8; j++) {
            double sum = 0;
            for (float[] row : unit) {
                sum += row[j];
            }
            assertThat((double) mean[j]).isCloseTo(sum / unit.length, within(1e-6));
        }
    }

    /** Four groups of points around distinct directions, at different lengths (cosine must not care). */
    private static float[][] blobs() {
        Random random = new Random(8);
        float[][] points = new float[GROUPS * PER_GROUP][8];
        for (int g = 0; g < GROUPS; g++) {
            for (int i = 0; i < PER_GROUP; i++) {
                float length = 1 + random.nextInt(5);
                for (int j = 0; j < 8; j++) {
                    points[g * PER_GROUP + i][j] = length * ((j == g ? 3 : 0) + (float) random.nextGaussian() * 0.3f);
                }
            }
        }
        return points;
    }
}
