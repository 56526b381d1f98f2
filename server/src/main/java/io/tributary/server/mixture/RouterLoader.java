package io.tributary.server.mixture;

import io.tributary.model.LoadOptions;
import io.tributary.model.ModelLoadException;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.router.RouterArtefactsReader;
import io.tributary.model.vision.ClipFeatureExtractor;
import io.tributary.model.vision.VisionTowers;
import io.tributary.routing.refusal.RoutingRefusedException;
import io.tributary.routing.router.Classifier;
import io.tributary.routing.router.ClusterModel;
import io.tributary.routing.router.FeatureExtractor;
import io.tributary.routing.router.Router;
import io.tributary.routing.router.RouterSpec;
import io.tributary.routing.router.Routers;
import io.tributary.routing.router.RoutingResources;

import java.nio.file.Path;

/**
 * Reads the router section of a manifest in two stages: {@link #check} reads the small artefacts (centroids,
 * classifier, the feature extractor's configuration) and checks them against the experts and each other before any
 * expert loads; {@link #routers} then wires them to the loaded feature extractor.
 */
final class RouterLoader {

    private RouterLoader() {}

    /**
     * The router's artefacts, checked.
     *
     * @param featureDimension the feature extractor's {@code projection_dim}; 0 without one
     */
    record Artefacts(
            MixtureManifest.RouterEntry entry,
            ClusterModel clusters,
            Classifier classifier,
            int featureDimension,
            double temperature) {}

    /** Reads and checks everything the router section names; fails naming the key. Reads no expert. */
    static Artefacts check(Path manifestFile, MixtureManifest.RouterEntry entry, int expertCount, ImageLimits limits) {
        if (entry == null) {
            return new Artefacts(null, null, null, 0, 1.0);
        }
        ClusterModel clusters = entry.centroids() == null ? null : clusters(manifestFile, entry);
        if (clusters != null && clusters.clusters() != expertCount) {
            throw new InvalidManifestException(
                    manifestFile,
                    "router.centroids",
                    entry.centroids() + " holds "
                            + clusters.clusters() + " centroids but the manifest lists " + expertCount
                            + " experts: the "
                            + "router needs one centroid per expert (or a fine_to_coarse label), in the experts' order");
        }
        Classifier classifier = entry.classifier() == null ? null : classifier(manifestFile, entry);
        if (classifier != null && classifier.outputs() != expertCount) {
            throw new InvalidManifestException(
                    manifestFile,
                    "router.classifier",
                    entry.classifier() + " gives "
                            + classifier.outputs() + " outputs but the manifest lists " + expertCount + " experts: its "
                            + "last layer needs one output per expert");
        }
        if (clusters != null && classifier != null && classifier.inputDimension() != clusters.dimension()) {
            throw new InvalidManifestException(
                    manifestFile,
                    "router.classifier",
                    "takes features of dimension "
                            + classifier.inputDimension() + " but router.centroids have dimension "
                            + clusters.dimension()
                            + ": both must be fitted on the same router features");
        }
        int featureDimension = entry.featureExtractor() == null
                ? 0
                : featureDimension(manifestFile, entry, clusters, classifier, limits);
        double temperature = entry.temperature() == null ? 1.0 : entry.temperature();
        Artefacts artefacts = new Artefacts(entry, clusters, classifier, featureDimension, temperature);
        // The mode's own rules (what it needs, what it takes) have one owner, the routers' registry: ask it now.
        defaultRouter(
                manifestFile,
                artefacts,
                new Routers(
                        new RoutingResources(expertCount, clusters, classifier, FeatureExtractor.NONE, temperature)));
        return artefacts;
    }

    /** The router's image feature extractor, sharing the experts' tower when it is the same CLIP. */
    static FeatureExtractor featureExtractor(
            Path manifestFile,
            Artefacts artefacts,
            LoadOptions options,
            ImageLimits limits,
            VisionTowers towers,
            CloseableStack resources) {
        if (artefacts.entry() == null || artefacts.entry().featureExtractor() == null) {
            return FeatureExtractor.NONE;
        }
        Path directory = ManifestReader.resolve(manifestFile, artefacts.entry().featureExtractor());
        try {
            return resources.push(ClipFeatureExtractor.load(directory, options, limits, towers));
        } catch (IllegalArgumentException | ModelLoadException e) {
            throw new InvalidManifestException(manifestFile, "router.feature_extractor", e.getMessage(), e);
        }
    }

    static Routers routers(Artefacts artefacts, int expertCount, FeatureExtractor features) {
        if (artefacts.entry() == null) {
            return new Routers(RoutingResources.none(expertCount));
        }
        return new Routers(new RoutingResources(
                expertCount, artefacts.clusters(), artefacts.classifier(), features, artefacts.temperature()));
    }

    static Router defaultRouter(Path manifestFile, Artefacts artefacts, Routers routers) {
        MixtureManifest.RouterEntry entry = artefacts.entry();
        if (entry == null) {
            return routers.create(RouterSpec.of("uniform"));
        }
        try {
            // The manifest's temperature is the mixture's default, so the default router needs no copy of it.
            return routers.create(new RouterSpec(entry.mode(), entry.weights(), null, entry.topK()));
        } catch (RoutingRefusedException e) {
            throw new InvalidManifestException(manifestFile, "router", e.getMessage(), e);
        }
    }

    private static ClusterModel clusters(Path manifestFile, MixtureManifest.RouterEntry entry) {
        double[] priors = entry.priors() == null
                ? null
                : entry.priors().stream().mapToDouble(Double::doubleValue).toArray();
        Path fineToCoarse =
                entry.fineToCoarse() == null ? null : ManifestReader.resolve(manifestFile, entry.fineToCoarse());
        Boolean normalize = entry.featureNormalization() == null
                ? null
                : entry.featureNormalization().equals("l2");
        try {
            return RouterArtefactsReader.readClusters(
                    ManifestReader.resolve(manifestFile, entry.centroids()), fineToCoarse, priors, normalize);
        } catch (IllegalArgumentException | ModelLoadException e) {
            throw new InvalidManifestException(
                    manifestFile,
                    "router.centroids",
                    e.getMessage()
                            + "; expected a .npy of centroids [K, d] or a safetensors file with tensors centroids [K, d], "
                            + "global_mean [d] and optionally priors [K]",
                    e);
        }
    }

    private static Classifier classifier(Path manifestFile, MixtureManifest.RouterEntry entry) {
        try {
            return RouterArtefactsReader.readClassifier(ManifestReader.resolve(manifestFile, entry.classifier()));
        } catch (IllegalArgumentException | ModelLoadException e) {
            throw new InvalidManifestException(
                    manifestFile,
                    "router.classifier",
                    e.getMessage()
                            + "; expected tensors layers.N.weight [out, in] and layers.N.bias [out], N = 0, 1, ...",
                    e);
        }
    }

    private static int featureDimension(
            Path manifestFile,
            MixtureManifest.RouterEntry entry,
            ClusterModel clusters,
            Classifier classifier,
            ImageLimits limits) {
        int dimension;
        try {
            dimension = ClipFeatureExtractor.featureDimension(
                    ManifestReader.resolve(manifestFile, entry.featureExtractor()), limits);
        } catch (IllegalArgumentException | ModelLoadException e) {
            throw new InvalidManifestException(manifestFile, "router.feature_extractor", e.getMessage(), e);
        }
        if (clusters != null && dimension != clusters.dimension()) {
            throw new InvalidManifestException(
                    manifestFile,
                    "router.feature_extractor",
                    "gives features of "
                            + "dimension " + dimension + " (its projection_dim) but router.centroids have dimension "
                            + clusters.dimension() + ": the centroids must be fitted on this extractor's features");
        }
        if (classifier != null && dimension != classifier.inputDimension()) {
            throw new InvalidManifestException(
                    manifestFile,
                    "router.feature_extractor",
                    "gives features of "
                            + "dimension " + dimension + " (its projection_dim) but router.classifier takes "
                            + classifier.inputDimension());
        }
        return dimension;
    }
}
