package io.tributary.tools.router;

import io.tributary.model.npy.Npy;
import io.tributary.model.npy.NpyArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Partitioning without a model: features and centroids written directly. */
class PartitionCommandTest {

    @TempDir
    Path dir;

    @Test
    void jsonLinesAreCopiedAsWrittenToTheClusterOfHighestCosineAndLinesWithoutAFeaturedImageAreDropped()
            throws Exception {
        // Centroid 0 points along x, centroid 1 along y; centroid 1 is long, which cosine must ignore.
        Npy.write(dir.resolve("clustering_centroids.npy"), NpyArray.ofMatrix(new float[][] {{1, 0}, {0, 50}}));
        new FeatureTable(List.of("a.png", "b.png", "c.png"), new float[][] {{0.9f, 0.1f}, {0.2f, 0.8f}, {0.6f, 0.5f}})
                .write(dir.resolve("features.npz"));
        List<String> lines = List.of(
                "{\"id\": 1, \"image\": \"a.png\", \"conversations\": []}",
                "{\"id\":2,\"image\":\"b.png\",\"conversations\":[]}",
                "{\"id\": 3, \"conversations\": []}",
                "{\"id\": 4, \"image\": [\"a.png\", \"b.png\"], \"conversations\": []}",
                "{\"id\": 5, \"image\": \"c.png\", \"conversations\": []}",
                "{\"id\": 6, \"image\": \"unreadable.png\", \"conversations\": []}");
        Files.write(dir.resolve("train.jsonl"), lines);

        assertThat(RouterTools.run(
                        "partition",
                        "--dataset",
                        dir.resolve("train.jsonl").toString(),
                        "--features",
                        dir.resolve("features.npz").toString(),
                        "--centroids",
                        dir.resolve("clustering_centroids.npy").toString(),
                        "-o",
                        dir.resolve("parts").toString()))
                .isZero();

        // id 4: the mean of a and b, (0.55, 0.45), is closer to x; id 5: (0.6, 0.5) too.
        assertThat(Files.readAllLines(dir.resolve("parts/cluster-0/train.jsonl")))
                .containsExactly(lines.get(0), lines.get(3), lines.get(4));
        assertThat(Files.readAllLines(dir.resolve("parts/cluster-1/train.jsonl")))
                .containsExactly(lines.get(1));
    }

    @Test
    void aMissingInputIsOneLineAndExitCodeTwo() {
        PrintStream original = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true));
        int code;
        try {
            code = RouterTools.run(
                    "cluster",
                    "--features",
                    dir.resolve("absent.npy").toString(),
                    "-k",
                    "2",
                    "-o",
                    dir.resolve("out").toString());
        } finally {
            System.setErr(original);
        }
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("cluster: ").contains("absent.npy").doesNotContain("Exception");
    }
}
