package io.tributary.model.router;

import io.tributary.model.ModelLoadException;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import io.tributary.routing.router.Classifier;
import io.tributary.routing.router.ClusterModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class RouterArtefactsReaderTest {

    @TempDir
    Path dir;

    @Test
    void readsClustersWithTheirPriorsUnlessTheManifestGivesSome() throws Exception {
        Path file = write(
                "clusters.safetensors",
                tensor("centroids", new long[] {2, 3}, 1, 0, 0, 0, 1, 0),
                tensor("global_mean", new long[] {3}, 0.5f, 0.5f, 0.5f),
                tensor("priors", new long[] {2}, 3, 1));

        ClusterModel clusters = RouterArtefactsReader.readClusters(file, null);
        assertThat(clusters.centroids()[1]).containsExactly(0, 1, 0);
        assertThat(clusters.globalMean()).containsExactly(0.5f, 0.5f, 0.5f);
        assertThat(clusters.priors()).containsExactly(new double[] {0.75, 0.25}, within(1e-12));
        assertThat(RouterArtefactsReader.readClusters(file, new double[] {1, 1}).priors())
                .containsExactly(0.5, 0.5);
    }

    @Test
    void readsAClassifierLayerByLayer() throws Exception {
        Path file = write(
                "classifier.safetensors",
                tensor("layers.0.weight", new long[] {3, 2}, 1, -1, 2, 0, 0, 1),
                tensor("layers.0.bias", new long[] {3}, 0, -1, 0.5f),
                tensor("layers.1.weight", new long[] {2, 3}, 1, 0, 0, 0, 1, 1),
                tensor("layers.1.bias", new long[] {2}, 0.25f, 0));

        Classifier classifier = RouterArtefactsReader.readClassifier(file);
        assertThat(classifier.logits(new float[] {2, 3})).containsExactly(new double[] {0.25, 6.5}, within(1e-6));
    }

    @Test
    void refusesArtefactsThatDoNotFitNamingTheTensorAndFile() throws Exception {
        Path wrongDimension = write(
                "a.safetensors",
                tensor("centroids", new long[] {2, 3}, 1, 0, 0, 0, 1, 0),
                tensor("global_mean", new long[] {2}, 0, 0));
        assertThatThrownBy(() -> RouterArtefactsReader.readClusters(wrongDimension, null))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("a.safetensors")
                .hasMessageContaining("centroid 0 has dimension 3 but the global mean has 2");

        Path missing = write("b.safetensors", tensor("centroids", new long[] {1, 2}, 1, 0));
        assertThatThrownBy(() -> RouterArtefactsReader.readClusters(missing, null))
                .hasMessageContaining("b.safetensors: missing tensor 'global_mean'");

        Path extra = write(
                "c.safetensors",
                tensor("centroids", new long[] {1, 2}, 1, 0),
                tensor("global_mean", new long[] {2}, 0, 0),
                tensor("temperature", new long[] {1}, 21.79f));
        assertThatThrownBy(() -> RouterArtefactsReader.readClusters(extra, null))
                .hasMessageContaining("c.safetensors: unexpected tensor 'temperature'");

        Path flat = write(
                "d.safetensors",
                tensor("centroids", new long[] {2}, 1, 0),
                tensor("global_mean", new long[] {2}, 0, 0));
        assertThatThrownBy(() -> RouterArtefactsReader.readClusters(flat, null))
                .hasMessageContaining("tensor 'centroids' has shape [2], expected rank 2");
    }

    private Path write(String name, Tensor... tensors) throws Exception {
        Path file = dir.resolve(name);
        SafetensorsWriter.write(file, List.of(tensors), Map.of());
        return file;
    }

    private static Tensor tensor(String name, long[] shape, float... values) {
        return new Tensor(name, SafetensorsDType.F32, shape, values);
    }
}
