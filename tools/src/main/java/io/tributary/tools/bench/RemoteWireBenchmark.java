package io.tributary.tools.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.image.ImageLimits;
import io.tributary.remote.client.RemoteExpert;
import io.tributary.remote.client.RemoteOptions;
import io.tributary.remote.client.ReplicatedExpert;
import io.tributary.remote.host.ExpertHostServer;
import io.tributary.remote.host.HostedExpert;
import io.tributary.routing.Expert;
import io.tributary.routing.Prompt;
import io.tributary.routing.decode.DecodeScheduler;
import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.GenerationListener;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.decode.GenerationResult;
import io.tributary.routing.decode.StepStatistics;
import io.tributary.routing.decode.StoppingCriteria;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.server.mixture.EmbeddedDefaultMixture;
import io.tributary.server.mixture.HostedExperts;
import io.tributary.server.mixture.ManifestReader;
import io.tributary.server.mixture.MixtureLoader;
import io.tributary.server.mixture.MixtureManifest;
import io.tributary.server.mixture.ServedModel;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;

/**
 * What the network costs a mixture, measured in one process: the experts in process, then behind one expert server
 * each on localhost (exact and compact wire), decoding the same greedy requests in batched
 * steps. Prints per step: wall time, bytes received from the experts, and for compact mode how many tokens agree
 * with exact mode. A table, not a test:
 *
 * <pre>
 * java -jar tools/target/tributary-0.1.0-SNAPSHOT.jar bench remote-wire [--tokens 64] [--requests 4] [--runs 5]
 *     [--epsilon 0.001] [--cache DIR] [--mixture MANIFEST]
 * </pre>
 *
 * <p>{@code --mixture} measures another mixture's experts instead of the embedded default's (the prompts are text,
 * so any mixture serves).
 */
@Command(
        name = "remote-wire",
        mixinStandardHelpOptions = true,
        description = "What the network costs a mixture: its experts in process, then each behind an expert server"
                + " on localhost (exact and compact wire), decoding the same greedy requests.")
public final class RemoteWireBenchmark implements Callable<Integer> {

    private static final ThreadFactory INFERENCE_THREADS = work -> new Thread(() -> {
        NativeTarget.prepareInferenceThread();
        work.run();
    });

    @Option(
            names = "--tokens",
            defaultValue = "64",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Greedy tokens a request (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(
            names = "--requests",
            defaultValue = "4",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Requests decoded together in batched steps (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(
            names = "--runs",
            defaultValue = "5",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Timed runs of each setup; the table shows medians (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(
            names = "--epsilon",
            defaultValue = "0.001",
            paramLabel = "E",
            description = "The compact wire's ε: probabilities it may leave out (default: ${DEFAULT-VALUE}).")
    double epsilon;

    @Option(
            names = "--cache",
            defaultValue = "${sys:user.home}/.cache/tributary",
            paramLabel = "DIR",
            description = "Where the embedded default mixture is unpacked (default: ${DEFAULT-VALUE}).")
    Path cache;

    @Option(
            names = "--mixture",
            paramLabel = "MANIFEST",
            description = "Measure this mixture's experts instead of the embedded default's.")
    Path mixture;

    @Override
    public Integer call() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN); // the table only
        NativeTarget.prepareInferenceThread();

        Path given = mixture != null ? mixture : EmbeddedDefaultMixture.ensure(cache);
        Path work = Files.createTempDirectory("tributary-wire-benchmark");
        MixtureLoader loader = new MixtureLoader(
                LoadOptions.cpu(), ImageLimits.DEFAULT, RemoteOptions.DEFAULT, work.resolve("tokenizers"));
        MixtureLoader.Checked checked = loader.check(uniformCopy(given, work));
        List<AutoCloseable> closing = new ArrayList<>();
        try (ServedModel inProcess = loader.load(checked)) {
            List<MixtureManifest.ExpertEntry> remote = new ArrayList<>();
            for (HostedExpert hosted : HostedExperts.of(inProcess, checked)) {
                ExpertHostServer server = new ExpertHostServer(
                                List.of(hosted),
                                new ExpertHostServer.Settings(0, Duration.ofMinutes(5), 2),
                                INFERENCE_THREADS)
                        .start();
                closing.add(server);
                remote.add(MixtureManifest.ExpertEntry.remote(hosted.name(), "localhost:" + server.port()));
            }
            Path manifest = ManifestReader.write(
                    work.resolve("gateway.yaml"),
                    new MixtureManifest("gateway", remote, MixtureManifest.RouterEntry.of("uniform")));
            ServedModel exact = gateway(manifest, work, 0, closing);
            ServedModel compact = gateway(manifest, work, epsilon, closing);

            List<Prompt> prompts = new ArrayList<>();
            for (int r = 0; r < requests; r++) {
                prompts.add(Prompt.ofTokens(inProcess.prompts().encode("The river bends, request " + r)));
            }
            System.out.printf(
                    "%s (K = %d, vocabulary %d), %d greedy requests x %d tokens, batched, median of %d runs%n",
                    inProcess.name(),
                    inProcess.mixture().experts().size(),
                    inProcess.mixture().vocabularySize(),
                    requests,
                    tokens,
                    runs);
            System.out.printf(
                    "%-24s %12s %10s %16s %16s %14s%n",
                    "experts", "ms/step", "ratio", "bytes/step", "bytes/session", "same tokens");
            Result reference = measure(inProcess, prompts, tokens, runs);
            print("in process", reference, reference, null);
            print("remote, exact", measure(exact, prompts, tokens, runs), reference, reference);
            print("remote, compact ε=" + epsilon, measure(compact, prompts, tokens, runs), reference, reference);
            wireSizes(epsilon);
        } finally {
            for (int i = closing.size() - 1; i >= 0; i--) {
                closing.get(i).close();
            }
        }
        return 0;
    }

    /**
     * The bytes of one distribution of InternVL's 151,674-token vocabulary on the wire, for synthetic distributions
     * (log-softmax of Gaussian logits; larger spread, more peaked): what a real vocabulary costs, which the
     * small test vocabularies (512 tokens) cannot show. Real models' peakedness varies by token.
     */
    private static void wireSizes(double epsilon) {
        int vocabulary = 151_674;
        System.out.printf("%none distribution of a %d-token vocabulary (synthetic), bytes on the wire%n", vocabulary);
        System.out.printf("%-24s %12s %16s %12s%n", "logit spread", "exact", "compact ε=" + epsilon, "kept tokens");
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        for (double spread : new double[] {1, 2, 3, 4}) {
            double[] logits = new double[vocabulary];
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < vocabulary; i++) {
                logits[i] = spread * random.nextGaussian();
                max = Math.max(max, logits[i]);
            }
            double sum = 0;
            for (double logit : logits) {
                sum += Math.exp(logit - max);
            }
            float[] logProbs = new float[vocabulary];
            for (int i = 0; i < vocabulary; i++) {
                logProbs[i] = (float) (logits[i] - max - Math.log(sum));
            }
            var exactForm = io.tributary.remote.wire.Distributions.encode(logProbs, 0);
            var compactForm = io.tributary.remote.wire.Distributions.encode(logProbs, epsilon);
            System.out.printf(
                    "%-24s %12d %16d %12s%n",
                    "σ = " + spread,
                    exactForm.getSerializedSize(),
                    compactForm.getSerializedSize(),
                    compactForm.hasSparse()
                            ? String.valueOf(compactForm.getSparse().getTokenIdsCount())
                            : "all (exact)");
        }
    }

    /**
     * The same experts under a uniform router, so that the gateway (whose manifest names only addresses, without the
     * router's artefacts) and the experts in process route alike and their tokens can be compared.
     */
    private static Path uniformCopy(Path manifest, Path work) {
        MixtureManifest read = ManifestReader.read(manifest);
        List<MixtureManifest.ExpertEntry> experts = read.experts().stream()
                .map(expert -> new MixtureManifest.ExpertEntry(
                        expert.name(),
                        ManifestReader.checkpointDirectory(manifest, expert).toString()))
                .toList();
        return ManifestReader.write(
                work.resolve("in-process.yaml"),
                new MixtureManifest(read.name(), experts, MixtureManifest.RouterEntry.of("uniform")));
    }

    private static ServedModel gateway(Path manifest, Path work, double epsilon, List<AutoCloseable> closing) {
        MixtureLoader loader = new MixtureLoader(
                LoadOptions.cpu(),
                ImageLimits.DEFAULT,
                new RemoteOptions(Duration.ofMinutes(1), epsilon),
                work.resolve("tokenizers"));
        ServedModel model = loader.load(manifest);
        closing.add(model);
        return model;
    }

    private record Result(double millisPerStep, double bytesPerStep, double bytesPerSessionStep, int[][] tokens) {}

    private static Result measure(ServedModel model, List<Prompt> prompts, int tokens, int runs) {
        double[] millis = new double[runs];
        double bytesPerStep = 0;
        double bytesPerSession = 0;
        int[][] answers = null;
        for (int run = -1; run < runs; run++) { // run -1 warms up
            long bytesBefore = bytesReceived(model);
            List<Answer> listeners = new ArrayList<>();
            StepStatistics statistics;
            try (DecodeScheduler scheduler = new DecodeScheduler(
                    model.mixture(),
                    new DecodeScheduler.Limits(prompts.size(), prompts.size(), 256, 1L << 40),
                    2,
                    INFERENCE_THREADS)) {
                for (Prompt prompt : prompts) {
                    Answer listener = new Answer();
                    scheduler.submit(model.mixture()
                            .start(
                                    new GenerationRequest(
                                            prompt,
                                            SamplingParams.GREEDY,
                                            new StoppingCriteria(tokens, List.of(), true)),
                                    listener));
                    listeners.add(listener);
                }
                listeners.forEach(listener -> listener.result.join());
                statistics = scheduler.statistics();
            }
            if (run >= 0) {
                millis[run] = statistics.nanos() / 1e6 / statistics.steps();
                long bytes = bytesReceived(model) - bytesBefore;
                bytesPerStep = (double) bytes / statistics.steps();
                bytesPerSession = (double) bytes / statistics.batchedSessions();
                answers = listeners.stream()
                        .map(listener -> listener.result.join())
                        .toArray(int[][]::new);
            }
        }
        Arrays.sort(millis);
        return new Result(millis[runs / 2], bytesPerStep, bytesPerSession, answers);
    }

    /** Collects one generation's token ids. */
    private static final class Answer implements GenerationListener {
        final List<Integer> ids = new ArrayList<>();
        final CompletableFuture<int[]> result = new CompletableFuture<>();

        @Override
        public void onToken(GeneratedToken token) {
            ids.add(token.id());
        }

        @Override
        public void onFinish(GenerationResult finished) {
            result.complete(ids.stream().mapToInt(Integer::intValue).toArray());
        }

        @Override
        public void onError(Throwable error) {
            result.completeExceptionally(error);
        }
    }

    private static long bytesReceived(ServedModel model) {
        long bytes = 0;
        for (Expert expert : model.mixture().experts()) {
            if (expert instanceof ReplicatedExpert remote) {
                bytes += remote.replicas().stream()
                        .mapToLong(RemoteExpert::stepBytesReceived)
                        .sum();
            }
        }
        return bytes;
    }

    private static void print(String name, Result result, Result inProcess, Result reference) {
        String same = "";
        if (reference != null) {
            int agree = 0;
            int total = 0;
            for (int r = 0; r < reference.tokens().length; r++) {
                for (int t = 0; t < reference.tokens()[r].length; t++) {
                    total++;
                    boolean prefixAgrees = Arrays.equals(
                            Arrays.copyOf(result.tokens()[r], t + 1),
                            Arrays.copyOf(reference.tokens()[r], t + 1));
                    agree += prefixAgrees ? 1 : 0;
                }
            }
            same = agree + "/" + total;
        }
        System.out.printf(
                "%-24s %12.3f %10.2f %16.0f %16.0f %14s%n",
                name,
                result.millisPerStep(),
                result.millisPerStep() / inProcess.millisPerStep(),
                result.bytesPerStep(),
                result.bytesPerSessionStep(),
                same);
    }
}
