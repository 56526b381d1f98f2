package io.tributary.tools.router;

import io.tributary.server.mixture.ManifestReader;
import io.tributary.server.mixture.MixtureManifest;
import io.tributary.tools.train.synthetic.SyntheticTask;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.ObjectMapper;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/**
 * The paper's claim at laptop scale, end to end with these tools: a synthetic image task; a base model pretrained
 * on a separate sample of it (every model's common starting point, as the paper's experts all start from one
 * LLaVA) and a router encoder pretrained beside it (CLIP's objective against the questions, as no pretrained CLIP
 * can be had here); image features; balanced clusters of the mean-subtracted features; one expert
 * fine-tuned alone on each cluster; the router's artefacts (centroids, fitted temperature, classifier); a dense model
 * fine-tuned on all the data with the same compute (as many examples as the experts together); and the evaluation
 * table. Every step is a command of its own, run in order; their files stay under {@code --out}.
 */
@Command(
        name = "reproduce",
        mixinStandardHelpOptions = true,
        description = "Train a decentralized mixture and a compute-matched dense model on the synthetic task and "
                + "print the evaluation table.")
final class ReproduceCommand implements Callable<Integer> {

    private static final int DOMAINS = SyntheticTask.domains().size();

    @Option(
            names = {"-o", "--out"},
            required = true,
            description = "Working directory for every artefact.")
    Path out;

    @Option(names = "--seed", defaultValue = "7", description = "Seed of the data and the clustering (default: 7).")
    long seed;

    @Option(
            names = "--init-seed",
            defaultValue = "1",
            description = "Seed of the base model's initial weights (default: 1).")
    long initSeed;

    @Option(
            names = {"-k", "--experts"},
            defaultValue = "4",
            description = "K: clusters and experts (default: 4).")
    int experts;

    @Option(names = "--train-per-domain", defaultValue = "2000", description = "Training samples per domain (2000).")
    int trainPerDomain;

    @Option(
            names = "--validation-per-domain",
            defaultValue = "50",
            description = "Held-out samples per domain for the temperature (default: 50).")
    int validationPerDomain;

    @Option(names = "--test-per-domain", defaultValue = "100", description = "Test samples per domain (100).")
    int testPerDomain;

    @Option(
            names = "--steps-per-expert",
            defaultValue = "1000",
            description = "Optimiser steps of each expert; the dense model takes K times as many (default: 1000).")
    int stepsPerExpert;

    @Option(names = "--batch-size", defaultValue = "32", description = "Samples per step (default: 32).")
    int batchSize;

    @Option(
            names = "--pretrain-per-domain",
            defaultValue = "1000",
            description = "Samples per domain of the base model's own pretraining set (default: 1000).")
    int pretrainPerDomain;

    @Option(names = "--pretrain-steps", defaultValue = "1000", description = "Base model steps (default: 1000).")
    int pretrainSteps;

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        Path data = out.resolve("data");
        Path router = out.resolve("router");
        Path mixture = out.resolve("mixture");
        run(
                "synthetic-data",
                "-o",
                data,
                "--seed",
                seed,
                "--train-per-domain",
                trainPerDomain,
                "--validation-per-domain",
                validationPerDomain,
                "--test-per-domain",
                testPerDomain);
        // The base model every expert and the dense model start from, pretrained on samples of its own (another
        // seed), as the paper's experts all start from one pretrained LLaVA.
        run(
                "synthetic-data",
                "-o",
                out.resolve("pretrain-data"),
                "--seed",
                seed + 1,
                "--train-per-domain",
                pretrainPerDomain,
                "--validation-per-domain",
                0,
                "--test-per-domain",
                0);
        run(
                "train",
                "--dataset",
                out.resolve("pretrain-data/train.json"),
                "--init-seed",
                initSeed,
                "--steps",
                pretrainSteps,
                "--batch-size",
                batchSize,
                "--log-every",
                Math.max(1, pretrainSteps / 3),
                "-o",
                out.resolve("base"));
        // No pretrained CLIP can be had here: the router's encoder is pretrained on the same separate samples, with
        // CLIP's objective against the questions asked about each image.
        run(
                "train-encoder",
                "--dataset",
                out.resolve("pretrain-data/train.json"),
                "--init-seed",
                initSeed,
                "-o",
                router.resolve("encoder"));
        run(
                "features",
                "--clip",
                router.resolve("encoder"),
                "--dataset",
                data.resolve("train.json"),
                "-o",
                router.resolve("train-features.safetensors"));
        run(
                "features",
                "--clip",
                router.resolve("encoder"),
                "--dataset",
                data.resolve("validation.json"),
                "-o",
                router.resolve("validation-features.npz"));
        run(
                "cluster",
                "--features",
                router.resolve("train-features.safetensors"),
                "-k",
                experts,
                "--seed",
                seed,
                "--subtract-mean",
                "-o",
                router.resolve("clusters"));
        Path centroids = router.resolve("clusters/clusters.safetensors");
        run(
                "partition",
                "--dataset",
                data.resolve("train.json"),
                "--features",
                router.resolve("train-features.safetensors"),
                "--centroids",
                centroids,
                "-o",
                out.resolve("parts"));
        List<String> names =
                IntStream.range(0, experts).mapToObj(k -> "expert-" + k).toList();
        for (int k = 0; k < experts; k++) {
            train(
                    out.resolve("parts/cluster-" + k + "/train.json"),
                    mixture.resolve(names.get(k)),
                    stepsPerExpert,
                    k + 1);
        }
        train(data.resolve("train.json"), out.resolve("dense"), stepsPerExpert * experts, 1);
        run(
                "fit-router",
                "classifier",
                "--features",
                router.resolve("train-features.safetensors"),
                "--centroids",
                centroids,
                "-o",
                router.resolve("classifier.safetensors"));
        Path manifest = mixture.resolve("mixture.yaml");
        writeManifest(manifest, names, null);
        run(
                "fit-router",
                "temperature",
                "--manifest",
                manifest,
                "--dataset",
                data.resolve("validation.json"),
                "--features",
                router.resolve("validation-features.npz"),
                "-o",
                router.resolve("temperature.json"));
        double temperature = new ObjectMapper()
                .readTree(router.resolve("temperature.json").toFile())
                .path("temperature")
                .asDouble();
        writeManifest(manifest, names, temperature);
        System.out.printf(
                Locale.ROOT,
                "%nseed %d, K = %d, %d training samples; from a base model pretrained %d "
                        + "steps of %d on %d other samples, each expert fine-tuned %d steps of %d on its cluster, the dense "
                        + "model %d steps of %d on all (the same examples in total); soft temperature %.2f fitted on %d "
                        + "held-out samples%n%n",
                seed,
                experts,
                DOMAINS * trainPerDomain,
                pretrainSteps,
                batchSize,
                DOMAINS * pretrainPerDomain,
                stepsPerExpert,
                batchSize,
                stepsPerExpert * experts,
                batchSize,
                temperature,
                DOMAINS * validationPerDomain);
        run(
                "evaluate",
                "--manifest",
                manifest,
                "--dense",
                out.resolve("dense"),
                "--dataset",
                data.resolve("test.json"),
                "--modes",
                "hard,soft,top-k,posterior,uniform,learned");
        System.out.printf(
                Locale.ROOT,
                "whole run: %.0f s; the mixture's manifest: %s%n",
                (System.nanoTime() - started) / 1e9,
                manifest);
        return 0;
    }

    private void train(Path dataset, Path output, int steps, long orderSeed) {
        run(
                "train",
                "--dataset",
                dataset,
                "--image-root",
                out.resolve("data"),
                "--base",
                out.resolve("base"),
                "--seed",
                orderSeed,
                "--steps",
                steps,
                "--batch-size",
                batchSize,
                "--log-every",
                Math.max(1, steps / 4),
                "-o",
                output);
    }

    /** The mixture's manifest, paths relative to it; soft routing once the temperature is fitted. */
    private void writeManifest(Path manifest, List<String> names, Double temperature) {
        List<MixtureManifest.ExpertEntry> entries = new ArrayList<>();
        names.forEach(name -> entries.add(new MixtureManifest.ExpertEntry(name, name)));
        MixtureManifest.RouterEntry router = new MixtureManifest.RouterEntry(
                "soft",
                null,
                temperature,
                null,
                null,
                "../router/clusters/clusters.safetensors",
                "../router/classifier.safetensors",
                "../router/encoder");
        ManifestReader.write(manifest, new MixtureManifest("tributary-synthetic-" + experts, entries, router));
    }

    /** Runs one tool command; a failure stops the run with the command's own message. */
    private static void run(Object... arguments) {
        String[] args = Arrays.stream(arguments).map(String::valueOf).toArray(String[]::new);
        System.err.println("\n$ router-tools " + String.join(" ", args));
        int code = RouterTools.run(args);
        if (code != 0) {
            throw new IllegalStateException("router-tools " + args[0] + " failed with exit code " + code);
        }
    }
}
