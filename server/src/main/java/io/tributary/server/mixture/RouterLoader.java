package io.tributary.server.mixture;

import io.tributary.model.ModelLoadException;
import io.tributary.model.router.RouterArtefactsReader;
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

    static RoutingResources resources(Path manifestFile, MixtureManifest.RouterEntry entry, int expertCount) {
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
            // No image feature extractor yet: every prompt is routed as text-only (Bayes' rule on the prompt).
            return new RoutingResources(expertCount, clusters, classifier, FeatureExtractor.NONE, temperature);
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
