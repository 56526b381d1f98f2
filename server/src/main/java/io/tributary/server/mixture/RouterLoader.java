package io.tributary.server.mixture;

import io.tributary.model.LoadOptions;
import io.tributary.model.ModelLoadException;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.router.RouterArtefactsReader;
import io.tributary.model.vision.ClipFeatureExtractor;
import io.tributary.model.vision.VisionTowers;
import io.tributary.routing.router.Classifier;
import io.tributary.routing.router.ClusterModel;
import io.tributary.routing.router.FeatureExtractor;
import io.tributary.routing.router.Router;
import io.tributary.routing.router.RouterSpec;
import io.tributary.routing.router.Routers;
import io.tributary.routing.router.RoutingResources;

import java.nio.file.Path;
import java.util.List;

/** Reads the router section of a manifest: its artefacts, and the router requests get by default. */
final class RouterLoader {

    private RouterLoader() {
    }

    /** The router's image feature extractor, sharing the experts' tower when it is the same CLIP. */
    static FeatureExtractor featureExtractor(Path manifestFile, MixtureManifest.RouterEntry entry, LoadOptions options,
                                             VisionTowers towers, CloseableStack resources) {
        if (entry == null || entry.featureExtractor() == null) {
            return FeatureExtractor.NONE;
        }
        Path directory = manifestFile.toAbsolutePath().getParent().resolve(entry.featureExtractor()).normalize();
        try {
            return resources.push(ClipFeatureExtractor.load(directory, options, ImageLimits.DEFAULT, towers));
        } catch (IllegalArgumentException | ModelLoadException e) {
            throw new ManifestReader.InvalidManifestException(manifestFile, "router feature_extractor: "
                    + e.getMessage());
        }
    }

    static RoutingResources resources(Path manifestFile, MixtureManifest.RouterEntry entry, int expertCount,
                                      FeatureExtractor features) {
        if (entry == null) {
            return RoutingResources.none(expertCount);
        }
        Path base = manifestFile.toAbsolutePath().getParent();
        try {
            double[] priors = entry.priors() == null ? null : toArray(entry.priors());
            ClusterModel clusters = entry.centroids() == null ? null
                    : RouterArtefactsReader.readClusters(base.resolve(entry.centroids()), priors);
            if (clusters == null && priors != null) {
                throw new IllegalArgumentException("'priors' are the clusters' priors: give 'centroids' too");
            }
            Classifier classifier = entry.classifier() == null ? null
                    : RouterArtefactsReader.readClassifier(base.resolve(entry.classifier()));
            double temperature = entry.temperature() == null ? 1.0 : entry.temperature();
            if (features instanceof ClipFeatureExtractor clip && clusters != null && clip.dimension() != clusters.dimension()) {
                throw new IllegalArgumentException("the feature extractor gives features of dimension "
                        + clip.dimension() + " but the centroids have " + clusters.dimension());
            }
            return new RoutingResources(expertCount, clusters, classifier, features, temperature);
        } catch (IllegalArgumentException | ModelLoadException e) {
            throw new ManifestReader.InvalidManifestException(manifestFile, "router: " + e.getMessage());
        }
    }

    static Router defaultRouter(Path manifestFile, MixtureManifest.RouterEntry entry, Routers routers) {
        if (entry == null) {
            return routers.create(RouterSpec.of("uniform"));
        }
        try {
            // The manifest's temperature is the mixture's default, so the default router needs no copy of it.
            return routers.create(new RouterSpec(entry.mode(), entry.weights(), null, entry.topK()));
        } catch (IllegalArgumentException e) {
            throw new ManifestReader.InvalidManifestException(manifestFile, "router: " + e.getMessage());
        }
    }

    private static double[] toArray(List<Double> values) {
        return values.stream().mapToDouble(value -> {
            if (value == null) {
                throw new IllegalArgumentException("a prior is missing");
            }
            return value;
        }).toArray();
    }
}
