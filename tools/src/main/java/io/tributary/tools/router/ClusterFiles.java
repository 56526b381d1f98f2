package io.tributary.tools.router;

import io.tributary.model.router.RouterArtefactsReader;
import io.tributary.routing.router.ClusterModel;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options that name a clustering, shared by the commands that read one. */
final class ClusterFiles {

    @Option(
            names = "--centroids",
            required = true,
            description = "clusters.safetensors, or the paper's clustering_centroids.npy / fine centroids.")
    Path centroids;

    @Option(names = "--fine-to-coarse", description = "The paper's two-stage mapping (.npy), with fine centroids.")
    Path fineToCoarse;

    ClusterModel read() {
        return RouterArtefactsReader.readClusters(centroids, fineToCoarse, null, null);
    }
}
