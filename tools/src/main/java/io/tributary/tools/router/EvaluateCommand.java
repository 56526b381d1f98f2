package io.tributary.tools.router;

import io.tributary.model.LoadOptions;
import io.tributary.routing.router.RouterSpec;
import io.tributary.server.mixture.ManifestReader;
import io.tributary.server.mixture.MixtureLoader;
import io.tributary.server.mixture.MixtureManifest;
import io.tributary.server.mixture.ServedModel;
import io.tributary.tools.WeightOptions;
import io.tributary.tools.train.QuestionAnswer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Exact match of greedy answers on a dataset's questions, decoded by the server's own engine: a dense model, each
 * expert of a mixture alone (on the samples the router sends to it and on the others), and the mixture under each
 * routing mode. Prints one table.
 */
@Command(
        name = "evaluate",
        mixinStandardHelpOptions = true,
        description = "Exact match of a mixture (per routing mode), its experts alone and a dense model on a dataset.")
final class EvaluateCommand implements Callable<Integer> {

    @Option(names = "--manifest", required = true, description = "The mixture's manifest (with its router).")
    Path manifest;

    @Option(names = "--dense", description = "A dense checkpoint to compare with (trained on all the data).")
    Path dense;

    @Option(names = "--dataset", required = true, description = "Questions with reference answers (one image each).")
    Path dataset;

    @Option(names = "--image-root", description = "Where the dataset's image paths start (default: its folder).")
    Path imageRoot;

    @Option(
            names = "--modes",
            split = ",",
            defaultValue = "hard,soft,top-k,posterior,uniform",
            description = "Routing modes to evaluate (default: hard,soft,top-k,posterior,uniform).")
    List<String> modes;

    @Option(names = "--top-k", defaultValue = "2", description = "k of the top-k mode (default: 2).")
    int topK;

    @Option(names = "--limit", defaultValue = "0", description = "Evaluate the first N samples only (0: all).")
    int limit;

    @Mixin
    WeightOptions weights;

    @Option(names = "--max-new-tokens", defaultValue = "8", description = "Longest answer decoded (default: 8).")
    int maxNewTokens;

    @Override
    public Integer call() throws Exception {
        List<QuestionAnswer> samples = QaSamples.read(dataset, imageRoot);
        if (limit > 0 && limit < samples.size()) {
            samples = samples.subList(0, limit);
        }
        AnswerRun run = new AnswerRun(samples, maxNewTokens);
        List<EvaluationTable.Row> rows = new ArrayList<>();
        long started = System.nanoTime();
        int[] clusters;
        MixtureLoader loader = new MixtureLoader(weights.applyTo(LoadOptions.cpu()));
        try (ServedModel mixture = loader.load(manifest)) {
            int k = mixture.expertNames().size();
            // The hard router's choice is each sample's cluster; without centroids there are no clusters.
            boolean routed = mixture.routers().availableModes().contains("hard");
            AnswerRun.Answers hard =
                    routed ? run.answer(mixture, mixture.routers().create(RouterSpec.of("hard"))) : null;
            clusters = routed ? hard.dominantExperts() : null;
            if (dense != null) {
                rows.add(denseRow(loader, run));
            }
            for (int expert = 0; expert < k; expert++) {
                double[] onlyThis = new double[k];
                onlyThis[expert] = 1;
                AnswerRun.Answers alone = run.answer(
                        mixture,
                        mixture.routers()
                                .create(RouterSpec.fixed(
                                        Arrays.stream(onlyThis).boxed().toList())));
                rows.add(EvaluationTable.Row.alone(mixture.expertNames().get(expert), expert, alone));
            }
            for (String mode : modes) {
                AnswerRun.Answers answers = mode.equals("hard") && hard != null
                        ? hard
                        : run.answer(mixture, mixture.routers().create(spec(mode)));
                rows.add(EvaluationTable.Row.of("mixture, " + label(mode), answers));
            }
        }
        new EvaluationTable(samples, clusters, rows).print(System.out);
        System.out.printf(
                Locale.ROOT,
                "%n%d samples of %s; evaluated in %.0f s%n",
                samples.size(),
                dataset,
                (System.nanoTime() - started) / 1e9);
        return 0;
    }

    private EvaluationTable.Row denseRow(MixtureLoader loader, AnswerRun run) throws Exception {
        Path single = Files.createTempDirectory("tributary-dense-");
        try {
            MixtureManifest manifest = new MixtureManifest(
                    "dense",
                    List.of(new MixtureManifest.ExpertEntry(
                            "dense", dense.toAbsolutePath().toString())),
                    MixtureManifest.RouterEntry.of("uniform"));
            ManifestReader.write(single.resolve("mixture.yaml"), manifest);
            try (ServedModel model = loader.load(single.resolve("mixture.yaml"))) {
                return EvaluationTable.Row.of(
                        "dense", run.answer(model, model.routers().create(RouterSpec.of("uniform"))));
            }
        } finally {
            Directories.delete(single);
        }
    }

    private RouterSpec spec(String mode) {
        return mode.equals("top-k") ? new RouterSpec("top-k", null, null, topK) : RouterSpec.of(mode);
    }

    private String label(String mode) {
        return mode.equals("top-k") ? "top-" + topK : mode;
    }
}
