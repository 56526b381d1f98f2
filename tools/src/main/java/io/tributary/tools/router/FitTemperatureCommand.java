package io.tributary.tools.router;

import io.tributary.model.LoadOptions;
import io.tributary.model.router.RouterArtefactsReader;
import io.tributary.routing.ImageInput;
import io.tributary.routing.router.ClusterModel;
import io.tributary.server.mixture.ManifestReader;
import io.tributary.server.mixture.MixtureLoader;
import io.tributary.server.mixture.MixtureManifest;
import io.tributary.server.mixture.ServedModel;
import io.tributary.tools.fitting.TemperatureFit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The soft router's temperature by maximum mixture likelihood on held-out samples: the experts of the mixture score
 * each sample's answer, the router's centroids score its image, and T maximises
 * {@code Σ_x log Σ_k softmax_k(T · s(x)) · p_k(x)} over [0, --max-temperature].
 */
@Command(
        name = "temperature",
        mixinStandardHelpOptions = true,
        description = "Fit the soft-routing temperature by maximum mixture likelihood on held-out samples.")
final class FitTemperatureCommand implements Callable<Integer> {

    @Option(names = "--manifest", required = true, description = "The mixture (experts and router centroids).")
    Path manifest;

    @Option(names = "--dataset", required = true, description = "Held-out LLaVA .json or InternVL .jsonl samples.")
    Path dataset;

    @Option(names = "--features", required = true, description = "Features of the dataset's images ('features').")
    Path features;

    @Option(names = "--image-root", description = "Where the dataset's image paths start (default: its folder).")
    Path imageRoot;

    @Option(names = "--limit", defaultValue = "1000", description = "Samples scored at most (default: 1000).")
    int limit;

    @Option(names = "--batch-size", defaultValue = "8", description = "Samples each expert prefills at once (8).")
    int batchSize;

    @Option(names = "--max-temperature", defaultValue = "100", description = "Upper end of the search (100).")
    double maxTemperature;

    @Option(
            names = {"-o", "--out"},
            description = "Writes the fitted T and the comparison table as JSON.")
    Path out;

    @Override
    public Integer call() throws Exception {
        MixtureManifest.RouterEntry router = ManifestReader.read(manifest).router();
        if (router == null || router.centroids() == null) {
            throw new IllegalArgumentException(manifest + ": the router names no centroids to fit a temperature for");
        }
        Path base = manifest.toAbsolutePath().getParent();
        ClusterModel clusters = RouterArtefactsReader.readClusters(
                base.resolve(router.centroids()),
                router.fineToCoarse() == null ? null : base.resolve(router.fineToCoarse()),
                null,
                router.featureNormalization() == null
                        ? null
                        : router.featureNormalization().equals("l2"));
        Map<String, float[]> byPath = FeatureTable.read(features).byPath();
        Path root = imageRoot != null ? imageRoot : dataset.toAbsolutePath().getParent();
        // As partition: samples without an image, or with one 'features' could not read, are left out.
        List<Datasets.Sample> samples = Datasets.read(dataset).stream()
                .filter(s -> !s.images().isEmpty() && byPath.keySet().containsAll(s.images()))
                .limit(limit)
                .toList();
        if (samples.isEmpty()) {
            throw new IllegalArgumentException(
                    "no sample of " + dataset + " has an image with a feature in " + features);
        }
        List<double[]> cosines = new ArrayList<>();
        List<double[]> logLikelihoods = new ArrayList<>();
        List<String> names;
        try (ServedModel model = new MixtureLoader(LoadOptions.cpu()).load(manifest)) {
            names = model.expertNames();
            ResponseScorer scorer = new ResponseScorer(model.mixture().experts(), model.prompts());
            ProgressBar progress = new ProgressBar("scoring", "samples", samples.size(), System.err);
            for (int start = 0; start < samples.size(); start += batchSize) {
                List<ResponseScorer.Item> batch = new ArrayList<>();
                for (Datasets.Sample sample : samples.subList(start, Math.min(samples.size(), start + batchSize))) {
                    List<ImageInput> images = new ArrayList<>();
                    for (String path : sample.images()) {
                        images.add(new ImageInput(Files.readAllBytes(root.resolve(path)), "image/" + suffix(path)));
                    }
                    float[][] rows = sample.images().stream().map(byPath::get).toArray(float[][]::new);
                    cosines.add(clusters.cosineScores(rows.length == 1 ? rows[0] : GlobalMean.mean(rows)));
                    batch.add(new ResponseScorer.Item(ResponseScorer.Exchange.of(sample.node()), images));
                }
                logLikelihoods.addAll(List.of(scorer.score(batch)));
                progress.step(batch.size());
            }
            progress.finish();
        }
        TemperatureFit fit =
                new TemperatureFit(cosines.toArray(double[][]::new), logLikelihoods.toArray(double[][]::new));
        double best = fit.best(0, maxTemperature);
        report(fit, best, names, samples.size());
        return 0;
    }

    private void report(TemperatureFit fit, double best, List<String> names, int count) throws Exception {
        ObjectNode json = new ObjectMapper().createObjectNode();
        json.put("temperature", best).put("samples", count);
        ObjectNode table = json.putObject("log_likelihood");
        System.out.printf(Locale.ROOT, "%-28s %16s %12s%n", "routing", "log-likelihood", "per sample");
        row(table, "uniform (T = 0)", fit.logLikelihood(0), count);
        row(table, "soft T = 1", fit.logLikelihood(1), count);
        row(table, "soft T = " + fmt(maxTemperature) + " (about hard)", fit.logLikelihood(maxTemperature), count);
        row(table, "soft T = " + fmt(best) + " (fitted)", fit.logLikelihood(best), count);
        for (int k = 0; k < names.size(); k++) {
            row(table, "expert " + names.get(k) + " only", fit.singleExpertLogLikelihood(k), count);
        }
        System.out.printf(Locale.ROOT, "%nrouter:%n  mode: soft%n  temperature: %s%n", fmt(best));
        if (out != null) {
            Files.writeString(out, json.toPrettyString());
        }
    }

    private static void row(ObjectNode table, String name, double logLikelihood, int count) {
        table.put(name, logLikelihood);
        System.out.printf(Locale.ROOT, "%-28s %16.3f %12.4f%n", name, logLikelihood, logLikelihood / count);
    }

    private static String fmt(double value) {
        return String.format(Locale.ROOT, "%.4g", value);
    }

    private static String suffix(String path) {
        String suffix = path.substring(path.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
        return suffix.equals("jpg") ? "jpeg" : suffix;
    }
}
