package io.tributary.tools.bench;

import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import io.tributary.model.tiny.TinyCheckpoints;
import io.tributary.model.tiny.TinyLlamaSpec;
import io.tributary.server.mixture.ManifestReader;
import io.tributary.server.mixture.MixtureManifest;
import io.tributary.server.mixture.MixtureManifest.RouterEntry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Serving under load, end to end: starts the server jar on each mixture (one expert, K = 2 uniform, K = 4 soft,
 * small text experts; optionally a checkpoint directory given with {@code --checkpoint}), drives
 * {@code /generate_stream} with N concurrent streaming clients and prints aggregate tokens/s, its ratio to one
 * client, median / p99 time to first token and inter-token latency, the server's mean time to first token, mean
 * batch and mean step time (from its metrics), and the decode speed of one stream (1 / mean inter-token latency).
 * A last row per mixture adds one long prompt ({@code --long-prompt} positions) while 16 streams run, to show what a
 * prefill costs the running streams (for {@code --checkpoint} only when asked).
 *
 * <pre>
 * java -jar tools/target/tributary-0.1.0-SNAPSHOT.jar bench serving [--clients 1,4,16,64] [--tokens 64]
 *     [--long-prompt 1500] [--mixtures one,k2,k4] [--checkpoint DIR] [--dir WORK] [--jar JAR]
 *     [--jvm-args "..."] [--server-args "..."]
 * </pre>
 */
@Command(
        name = "serving",
        mixinStandardHelpOptions = true,
        description = "Serving under load: the server jar on each mixture, N streaming clients, throughput and"
                + " latency percentiles.")
public final class ServingBenchmark implements Callable<Integer> {

    private static final String PROMPT = "The river bends where the old mill stands, and";
    private static final String CHECKPOINT = "checkpoint";
    private static final long[] SEEDS = {20260101L, 20260202L, 20260303L, 20260404L};

    @Spec
    CommandSpec spec;

    @Option(
            names = "--clients",
            split = ",",
            defaultValue = "1,4,16,64",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Concurrent streaming clients, one row each (default: ${DEFAULT-VALUE}).")
    List<Integer> clients;

    @Option(
            names = "--tokens",
            defaultValue = "64",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Greedy tokens a request (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(
            names = "--long-prompt",
            defaultValue = "1500",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Positions of the long prompt sent while 16 streams run (default: ${DEFAULT-VALUE});"
                    + " with --checkpoint, that row is measured only when this is given.")
    int longPrompt;

    @Option(
            names = "--mixtures",
            split = ",",
            defaultValue = "one,k2,k4",
            paramLabel = "MIXTURE",
            description = "Built-in mixtures of small text experts: one, k2 (uniform), k4 (soft), or none"
                    + " (default: ${DEFAULT-VALUE}).")
    List<String> mixtures;

    @Option(
            names = "--checkpoint",
            paramLabel = "DIR",
            description = "Also serve this checkpoint directory alone, under a uniform router.")
    Path checkpoint;

    @Option(
            names = "--dir",
            defaultValue = "${sys:java.io.tmpdir}/tributary-serving",
            paramLabel = "WORK",
            description = "Where the experts and manifests are written, and the server's cache"
                    + " (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(
            names = "--jar",
            defaultValue = "${sys:java.class.path}",
            paramLabel = "JAR",
            description = "The server jar to start (default: this jar).")
    Path jar;

    @Option(
            names = "--jvm-args",
            paramLabel = "\"ARGS\"",
            description = "The server's JVM arguments, separated by spaces, like \"-Xmx4g\".")
    String jvmArgs;

    @Option(
            names = "--server-args",
            paramLabel = "\"ARGS\"",
            description = "More server arguments, separated by spaces, like \"--tributary.engine.threads=2\".")
    String serverArgs;

    @Override
    public Integer call() throws Exception {
        Map<String, Path> manifests = new LinkedHashMap<>();
        for (String mixture : mixtures) {
            if (mixture.equals("none")) {
                continue;
            }
            manifests.put(mixture, writeMixture(dir, mixture));
        }
        if (checkpoint != null) {
            manifests.put(
                    CHECKPOINT,
                    ManifestReader.write(
                            dir.resolve("checkpoint.yaml"),
                            MixtureManifest.of(
                                    "checkpoint",
                                    RouterEntry.of("uniform"),
                                    checkpoint.toAbsolutePath().toString())));
        }
        boolean longPromptGiven = spec.commandLine().getParseResult().hasMatchedOption("--long-prompt");

        List<String> table = new ArrayList<>();
        table.add(String.format(
                "%-24s %8s %10s %7s %10s %10s %9s %9s %10s %6s %8s %10s %10s %6s",
                "mixture",
                "clients",
                "tokens/s",
                "ratio",
                "TTFT p50",
                "TTFT p99",
                "ITL p50",
                "ITL p99",
                "srv TTFT",
                "batch",
                "step",
                "decode/s",
                "new TTFT",
                "probes"));
        for (Map.Entry<String, Path> mixture : manifests.entrySet()) {
            try (BenchmarkServer server =
                    BenchmarkServer.start(jar, mixture.getValue(), dir, words(jvmArgs), words(serverArgs))) {
                StreamClient client = new StreamClient(server.port());
                client.generate(PROMPT, 8); // warm up
                double first = 0; // aggregate tokens/s of the first client count: the ratios' base
                for (int n : clients) {
                    int requests = Math.max(2, 16 / n);
                    Load load = run(server, client, n, requests, tokens, null, false);
                    if (n > 1) { // a pass of its own, so that the probe's requests take nothing from the row above
                        load = load.withProbe(run(server, client, n, requests, tokens, null, true)
                                .probeTtftMillis());
                    }
                    first = first == 0 ? load.tokensPerSecond() : first;
                    table.add(row(mixture.getKey(), Integer.toString(n), load, load.tokensPerSecond() / first));
                }
                if (longPromptGiven || !mixture.getKey().equals(CHECKPOINT)) {
                    Load withPrefill = run(server, client, 16, 2, tokens, longPrompt(longPrompt), false);
                    table.add(row(mixture.getKey(), "16+long", withPrefill, withPrefill.tokensPerSecond() / first));
                }
            }
            System.out.println(table.get(table.size() - 1));
        }
        System.out.println();
        System.out.println("ServingBenchmark: /generate_stream over HTTP, " + tokens + " greedy tokens a request;"
                + " latencies in ms; ratio = aggregate tokens/s over that of " + clients.get(0)
                + " client(s); 16+long adds one"
                + " prompt of ~" + longPrompt + " positions halfway (its own tokens not counted); new TTFT = p50 first"
                + " token of short requests sent one at a time while more than one client runs (on a 16+long row: the"
                + " long prompt's own first token, its whole chunked prefill)");
        table.forEach(System.out::println);
        return 0;
    }

    /**
     * What N clients measured together, and what the server saw meanwhile: its mean time to first token (from the
     * request's arrival) and the mean number of requests in an expert's batched pass.
     */
    record Load(
            double tokensPerSecond,
            double[] ttftMillis,
            double[] itlMillis,
            double serverTtftMillis,
            double meanBatch,
            double stepMillis,
            double[] probeTtftMillis) {

        Load withProbe(double[] probed) {
            return new Load(tokensPerSecond, ttftMillis, itlMillis, serverTtftMillis, meanBatch, stepMillis, probed);
        }
    }

    /**
     * N clients, each sending {@code requests} streaming requests back to back; with {@code longPrompt}, one more
     * request with that prompt is sent once the clients are halfway, and only the clients' tokens are counted; its time
     * to first token takes the probe's place in the result.
     *
     * <p>With {@code probing}, a probe meanwhile sends one short request at a time, spaced out, and times its first
     * token: the time to first token of a request arriving while the N streams run. The clients' own first tokens
     * measure something else once N > 1: they start together and, asking for as many tokens, finish together, so
     * each of their requests arrives in a burst of N.
     */
    private static Load run(
            BenchmarkServer server,
            StreamClient client,
            int n,
            int requests,
            int tokens,
            String longPrompt,
            boolean probing)
            throws Exception {
        Map<String, Double> before = server.metrics();
        ExecutorService pool = Executors.newFixedThreadPool(n + 2);
        try {
            long start = System.nanoTime();
            List<Future<List<StreamClient.Timing>>> futures = new ArrayList<>();
            for (int c = 0; c < n; c++) {
                futures.add(pool.submit(() -> {
                    List<StreamClient.Timing> timings = new ArrayList<>();
                    for (int r = 0; r < requests; r++) {
                        timings.add(client.generate(PROMPT, tokens));
                    }
                    return timings;
                }));
            }
            AtomicBoolean clientsRunning = new AtomicBoolean(true);
            Future<List<Double>> probe = probing
                    ? pool.submit(() -> probe(client, clientsRunning))
                    : CompletableFuture.completedFuture(List.of());
            Future<StreamClient.Timing> intruder = longPrompt == null
                    ? null
                    : pool.submit(() -> {
                        Thread.sleep(400);
                        return client.generate(longPrompt, 4);
                    });
            List<StreamClient.Timing> all = new ArrayList<>();
            for (Future<List<StreamClient.Timing>> future : futures) {
                all.addAll(future.get());
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            clientsRunning.set(false);
            double[] probeTtft = intruder != null
                    ? new double[] {intruder.get().timeToFirstToken() / 1e6}
                    : probe.get().stream()
                            .mapToDouble(Double::doubleValue)
                            .sorted()
                            .toArray();
            long generated = all.stream().mapToLong(t -> t.tokenNanos().size()).sum();
            double[] ttft = all.stream()
                    .mapToDouble(t -> t.timeToFirstToken() / 1e6)
                    .sorted()
                    .toArray();
            double[] itl = all.stream()
                    .flatMap(t -> t.interTokenLatencies().stream())
                    .mapToDouble(g -> g / 1e6)
                    .sorted()
                    .toArray();
            Map<String, Double> after = server.metrics();
            return new Load(
                    generated / seconds,
                    ttft,
                    itl,
                    1000
                            * delta(before, after, "tributary_time_to_first_token_seconds_sum")
                            / delta(before, after, "tributary_time_to_first_token_seconds_count"),
                    delta(before, after, "tributary_batch_sessions_total")
                            / delta(before, after, "tributary_batch_expert_passes_total"),
                    1000
                            * delta(before, after, "tributary_batch_step_seconds_total")
                            / delta(before, after, "tributary_batch_steps_total"),
                    probeTtft);
        } finally {
            pool.shutdownNow();
        }
    }

    /** First-token times (ms) of short requests sent one at a time, 50 ms apart, while the clients run. */
    private static List<Double> probe(StreamClient client, AtomicBoolean clientsRunning) throws InterruptedException {
        List<Double> ttft = new ArrayList<>();
        Thread.sleep(200); // past the clients' first burst
        while (clientsRunning.get()) {
            StreamClient.Timing timing = client.generate(PROMPT, 2);
            if (clientsRunning.get()) {
                ttft.add(timing.timeToFirstToken() / 1e6);
            }
            Thread.sleep(50);
        }
        return ttft;
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String name) {
        return after.getOrDefault(name, 0.0) - before.getOrDefault(name, 0.0);
    }

    private static String row(String mixture, String clients, Load load, double ratio) {
        double meanItl = Arrays.stream(load.itlMillis()).average().orElse(Double.NaN);
        return String.format(
                "%-24s %8s %10.1f %6.2fx %10.1f %10.1f %9.2f %9.2f %10.1f %6.1f %8.2f %10.2f %10.1f %6d",
                mixture,
                clients,
                load.tokensPerSecond(),
                ratio,
                percentile(load.ttftMillis(), 0.5),
                percentile(load.ttftMillis(), 0.99),
                percentile(load.itlMillis(), 0.5),
                percentile(load.itlMillis(), 0.99),
                load.serverTtftMillis(),
                load.meanBatch(),
                load.stepMillis(),
                1000 / meanItl,
                percentile(load.probeTtftMillis(), 0.5),
                load.probeTtftMillis().length);
    }

    private static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    /** A prompt of about {@code positions} tokens of the embedded tokenizer (about two characters a token). */
    private static String longPrompt(int positions) {
        StringBuilder text = new StringBuilder();
        String[] words = {"river", "stone", "mill", "valley", "water", "bank", "reed", "bridge"};
        for (int i = 0; text.length() < positions * 2; i++) {
            text.append(words[i % words.length]).append(' ');
        }
        return text.toString();
    }

    /** Writes the small text experts (once) and the manifest of one benchmark mixture. */
    private static Path writeMixture(Path dir, String mixture) throws Exception {
        Path root = dir.resolve("experts-v1");
        if (!Files.isDirectory(root.resolve("expert-3"))) {
            TinyCheckpoints.writeLlamaMixture(root, TinyLlamaSpec.small(), SEEDS);
            SafetensorsWriter.write(
                    root.resolve("clusters.safetensors"),
                    List.of(
                            new Tensor("centroids", SafetensorsDType.F32, new long[] {4, 2}, new float[] {
                                1, 0, 0, 1, -1, 0, 0, -1
                            }),
                            new Tensor("global_mean", SafetensorsDType.F32, new long[] {2}, new float[] {0, 0})),
                    Map.of());
        }
        return switch (mixture) {
            case "one" ->
                ManifestReader.write(
                        root.resolve("one.yaml"), MixtureManifest.of("one", RouterEntry.of("uniform"), "expert-0"));
            case "k2" ->
                ManifestReader.write(
                        root.resolve("k2.yaml"),
                        MixtureManifest.of("k2-uniform", RouterEntry.of("uniform"), "expert-0", "expert-1"));
            case "k4" ->
                ManifestReader.write(
                        root.resolve("k4.yaml"),
                        new MixtureManifest(
                                "k4-soft",
                                List.of(entry(0), entry(1), entry(2), entry(3)),
                                new RouterEntry("soft", null, 5.0, null, null, "clusters.safetensors", null, null)));
            default -> throw new IllegalArgumentException("unknown mixture '" + mixture + "': one, k2 or k4");
        };
    }

    private static MixtureManifest.ExpertEntry entry(int k) {
        return new MixtureManifest.ExpertEntry("expert-" + k, "expert-" + k);
    }

    private static List<String> words(String text) {
        return text == null || text.isBlank() ? List.of() : List.of(text.trim().split("\\s+"));
    }
}
