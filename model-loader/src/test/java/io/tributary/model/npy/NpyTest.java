package io.tributary.model.npy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Against files NumPy 2.4 wrote (np.save, np.savez, np.savez_compressed) and kept as test resources. */
class NpyTest {

    private static final float[][] CENTROIDS = {{1.5f, -2f, 0.25f, 3f}, {0f, 1f, -1f, 0.5f}, {7f, 0.125f, 2f, -4f}};

    @TempDir
    Path directory;

    @Test
    void readsFloatMatricesAndIntegerLabelsAsNumPyWroteThem() throws Exception {
        assertThat(Npy.read(resource("centroids_f4.npy")).toMatrix()).isDeepEqualTo(CENTROIDS);
        assertThat(Npy.read(resource("centroids_f8.npy")).toMatrix()).isDeepEqualTo(CENTROIDS);
        assertThat(Npy.read(resource("assignments_i8.npy")).toInts()).containsExactly(2, 0, 1, 1, 0);
    }

    @Test
    void writesTheSameBytesAsNumPy() throws Exception {
        Path centroids = directory.resolve("c.npy");
        Npy.write(centroids, NpyArray.ofMatrix(CENTROIDS));
        assertThat(Files.readAllBytes(centroids)).isEqualTo(Files.readAllBytes(resource("centroids_f4.npy")));
        Path labels = directory.resolve("a.npy");
        Npy.write(labels, NpyArray.ofLongs(new int[] {2, 0, 1, 1, 0}));
        assertThat(Files.readAllBytes(labels)).isEqualTo(Files.readAllBytes(resource("assignments_i8.npy")));
    }

    @Test
    void readsStoredAndCompressedArchivesWithUnicodePaths() throws Exception {
        for (String name : new String[] {"features_stored.npz", "features_compressed.npz"}) {
            Map<String, NpyArray> arrays = Npy.readNpz(resource(name));
            assertThat(arrays.get("features").toMatrix()).isDeepEqualTo(CENTROIDS);
            assertThat(arrays.get("image_paths").toStrings()).containsExactly("a/cat.jpg", "b/dög.png", "c.jpg");
        }
    }

    @Test
    void anArchiveWrittenHereReadsBack() throws Exception {
        Path file = directory.resolve("f.npz");
        Npy.writeNpz(
                file, Map.of("features", NpyArray.ofMatrix(CENTROIDS), "image_paths", NpyArray.ofStrings(new String[] {
                    "x.png", "ü/y.jpg"
                })));
        Map<String, NpyArray> arrays = Npy.readNpz(file);
        assertThat(arrays.get("features").toMatrix()).isDeepEqualTo(CENTROIDS);
        assertThat(arrays.get("image_paths").toStrings()).containsExactly("x.png", "ü/y.jpg");
    }

    @Test
    void refusesWhatIsNotAnArray() throws Exception {
        Path file = directory.resolve("bad.npy");
        Files.writeString(file, "not numpy");
        assertThatThrownBy(() -> Npy.read(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a .npy file");
        assertThatThrownBy(() -> Npy.read(resource("assignments_i8.npy")).toMatrix())
                .hasMessageContaining("expected a 2-D array");
    }

    private static Path resource(String name) throws Exception {
        return Path.of(NpyTest.class.getResource("/npy/" + name).toURI());
    }
}
