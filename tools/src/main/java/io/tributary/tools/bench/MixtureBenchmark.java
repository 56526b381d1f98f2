package io.tributary.tools.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.tributary.model.ExpertLoader;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.tiny.TinyCheckpoints;
import io.tributary.model.tiny.TinyLlamaSpec;
import io.tributary.model.tokenizer.HfTokenizer;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.Generation;
import io.tributary.routing.decode.GenerationListener;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.decode.GenerationResult;
import io.tributary.routing.decode.Mixture;
import io.tributary.routing.decode.StoppingCriteria;
import io.tributary.routing.router.ClusterModel;
import io.tributary.routing.router.RouterSpec;
import io.tributary.routing.router.Routers;
import io.tributary.routing.router.RoutingResources;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.tools.WeightOptions;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * What mixing costs: per-token decoding latency of one expert against mixtures of K = 2 and 4 experts in every
 * routing mode, measured in one process so the ratios compare (greedy, end-of-sequence ignored, no HTTP). The
 * experts are small Llama checkpoints ({@code TinyLlamaSpec.small()}) sharing one tokenizer. The image router is
 * given a fixed feature, so the table shows routing and mixing, not feature extraction.
 *
 * <pre>
 * java -Dai.djl.pytorch.num_threads=1 -jar tools/target/tributary-0.1.0-SNAPSHOT.jar bench mixture [--tokens 64]
 *     [--runs 9] [--cache DIR]
 * </pre>
 */
@Command(
        name = "mixture",
        mixinStandardHelpOptions = true,
        description = "What mixing costs: per-token latency of one expert against mixtures of 2 and 4 experts in"
                + " every routing mode, in one process.")
public final class MixtureBenchmark implements Callable<Integer> {

    private static final String PROMPT = "The river bends where the old mill stands, and";
    private static final int FEATURE_DIMENSION = 16;

    @Option(
            names = "--tokens",
            defaultValue = "64",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Greedy tokens decoded per run (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(
            names = "--runs",
            defaultValue = "9",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Timed runs of every setup; the table shows medians (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(
            names = "--cache",
            defaultValue = "${sys:user.home}/.cache/tributary",
            paramLabel = "DIR",
            description = "Where the small experts are written once and reused (default: ${DEFAULT-VALUE}).")
    Path cache;

    @Mixin
    WeightOptions weights;

    @Override
    public Integer call() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN); // the table only
        NativeTarget.prepareInferenceThread();

        Path root = cache.resolve("benchmark-experts-v1");
        if (!Files.isDirectory(root.resolve("expert-3"))) {
            TinyCheckpoints.writeLlamaMixture(root, TinyLlamaSpec.small(), 11, 12, 13, 14);
        }
        ExpertLoader loader = ExpertLoader.withBuiltInFamilies();
        List<Expert> experts = new ArrayList<>();
        try (HfTokenizer tokenizer = loader.loadTokenizer(root.resolve("expert-0"))) {
            for (int k = 0; k < 4; k++) {
                experts.add(Benchmarks.computingEverything(
                        loader.load("expert-" + k, root.resolve("expert-" + k), weights.applyTo(LoadOptions.cpu()))));
            }
            Prompt prompt = Prompt.ofTokens(tokenizer.encode(PROMPT));
            Map<String, Setup> setups = setups(experts, tokenizer);
            measure(setups, prompt, tokens, runs);
        } finally {
            experts.forEach(Expert::close);
        }
        return 0;
    }

    /**
     * A mixture with the router of one routing mode; or, with a {@code null} spec, its experts decoding side by
     * side without any routing or mixing: what K separate models cost when they run together.
     */
    private record Setup(Mixture mixture, Routers routers, RouterSpec spec, int experts) {
        boolean lockstep() {
            return spec == null;
        }
    }

    private static Map<String, Setup> setups(List<Expert> experts, HfTokenizer tokenizer) {
        Map<String, Setup> setups = new LinkedHashMap<>();
        setups.put("1 expert", setup(experts.subList(0, 1), tokenizer, RouterSpec.of("uniform")));
        for (int k : new int[] {2, 4}) {
            List<Expert> some = experts.subList(0, k);
            setups.put(k + " experts, hard", setup(some, tokenizer, RouterSpec.of("hard")));
            setups.put(k + " experts, top-1", setup(some, tokenizer, new RouterSpec("top-k", null, null, 1)));
            if (k == 4) {
                setups.put(k + " experts, top-2", setup(some, tokenizer, new RouterSpec("top-k", null, null, 2)));
            }
            setups.put(k + " experts, soft", setup(some, tokenizer, RouterSpec.of("soft")));
            setups.put(k + " experts, uniform", setup(some, tokenizer, RouterSpec.of("uniform")));
            setups.put(k + " experts, posterior", setup(some, tokenizer, RouterSpec.of("posterior")));
            setups.put(
                    k + " experts, no mixing",
                    new Setup(setups.get(k + " experts, uniform").mixture(), null, null, k));
        }
        return setups;
    }

    private static Setup setup(List<Expert> experts, HfTokenizer tokenizer, RouterSpec spec) {
        SplittableRandom random = new SplittableRandom(experts.size());
        float[][] centroids = new float[experts.size()][];
        for (int k = 0; k < centroids.length; k++) {
            centroids[k] = gaussian(random);
        }
        double[] priors = new double[experts.size()];
        Arrays.fill(priors, 1);
        float[] feature = gaussian(random);
        RoutingResources resources = new RoutingResources(
                experts.size(),
                new ClusterModel(centroids, new float[FEATURE_DIMENSION], priors),
                null,
                anyPrompt -> Optional.of(feature),
                21.79);
        Routers routers = new Routers(resources);
        Mixture mixture = new Mixture(spec.mode(), experts, routers.create(spec), tokenizer, Set.of());
        return new Setup(mixture, routers, spec, experts.size());
    }

    private void measure(Map<String, Setup> setups, Prompt prompt, int tokens, int runs) {
        List<String> names = List.copyOf(setups.keySet());
        for (int i = 0; i < 3; i++) {
            setups.values().forEach(setup -> decode(setup, prompt, tokens)); // warm-up: JIT and libtorch kernels
        }
        // Setups take turns run by run, so a slow spell of this shared machine hits them all alike.
        double[][] firstToken = new double[names.size()][runs];
        double[][] perToken = new double[names.size()][runs];
        for (int run = 0; run < runs; run++) {
            for (int s = 0; s < names.size(); s++) {
                double[] timing = decode(setups.get(names.get(s)), prompt, tokens);
                firstToken[s][run] = timing[0];
                perToken[s][run] = timing[1];
            }
        }
        System.out.printf(
                "Greedy decoding of %d tokens, median of %d runs, %d cores, weights %s; ratios of ms/token%n%n",
                tokens, runs, Runtime.getRuntime().availableProcessors(), weights.label());
        System.out.printf(
                "%-22s %9s %9s %9s %12s %15s %14s%n",
                "setup", "run/token", "TTFT ms", "ms/token", "vs 1 expert", "vs K × 1 expert", "vs no mixing");
        double single = median(perToken[0]);
        for (int s = 0; s < names.size(); s++) {
            Setup setup = setups.get(names.get(s));
            double latency = median(perToken[s]);
            double unmixed = median(perToken[
                    names.indexOf(setup.experts() + " experts, no mixing") < 0
                            ? 0
                            : names.indexOf(setup.experts() + " experts, no mixing")]);
            System.out.printf(
                    "%-22s %9d %9.2f %9.3f %11.2fx %14.2fx %13.2fx%n",
                    names.get(s),
                    expertsRunPerToken(setup),
                    median(firstToken[s]),
                    latency,
                    latency / single,
                    latency / (setup.experts() * single),
                    latency / unmixed);
        }
    }

    /** Experts with a positive weight on a token: what hard and top-k save. */
    private static int expertsRunPerToken(Setup setup) {
        if (setup.lockstep()) {
            return setup.experts();
        }
        return switch (setup.spec().mode()) {
            case "hard" -> 1;
            case "top-k" -> setup.spec().topK();
            default -> setup.experts();
        };
    }

    /** Milliseconds to the first token (prefill and routing), then mean milliseconds per further token. */
    private static double[] decode(Setup setup, Prompt prompt, int tokens) {
        if (setup.lockstep()) {
            return lockstep(setup.mixture().experts(), prompt, tokens);
        }
        long[] times = new long[2];
        int[] generated = new int[1];
        GenerationRequest request = new GenerationRequest(
                prompt,
                SamplingParams.GREEDY,
                new StoppingCriteria(tokens, List.of(), true),
                setup.routers().create(setup.spec()));
        long start = System.nanoTime();
        Generation generation = setup.mixture().start(request, new GenerationListener() {
            @Override
            public void onToken(GeneratedToken token) {
                times[token.index() == 0 ? 0 : 1] = System.nanoTime();
                generated[0]++;
            }

            @Override
            public void onFinish(GenerationResult result) {}

            @Override
            public void onError(Throwable error) {
                throw new IllegalStateException(error);
            }
        });
        while (!generation.step()) {
            // decode inline
        }
        if (generated[0] != tokens) {
            throw new IllegalStateException("generated " + generated[0] + " tokens, expected " + tokens);
        }
        return new double[] {(times[0] - start) / 1e6, (times[1] - times[0]) / 1e6 / (tokens - 1)};
    }

    /** The experts decode greedily side by side, each its own text: no router, no mixing, no sampler. */
    private static double[] lockstep(List<Expert> experts, Prompt prompt, int tokens) {
        List<ExpertSession> sessions = new ArrayList<>();
        try {
            long start = System.nanoTime();
            long first = 0;
            for (int t = 0; t < tokens; t++) {
                for (ExpertSession session : sessions.isEmpty() ? open(experts, prompt, sessions) : sessions) {
                    float[] logProbs = session.nextLogProbs();
                    int best = 0;
                    for (int x = 1; x < logProbs.length; x++) {
                        best = logProbs[x] > logProbs[best] ? x : best;
                    }
                    session.append(best);
                }
                first = t == 0 ? System.nanoTime() : first;
            }
            long end = System.nanoTime();
            return new double[] {(first - start) / 1e6, (end - first) / 1e6 / (tokens - 1)};
        } finally {
            sessions.forEach(ExpertSession::close);
        }
    }

    private static List<ExpertSession> open(List<Expert> experts, Prompt prompt, List<ExpertSession> sessions) {
        experts.forEach(expert -> sessions.add(expert.open(prompt)));
        return sessions;
    }

    private static float[] gaussian(SplittableRandom random) {
        float[] vector = new float[FEATURE_DIMENSION];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = (float) random.nextGaussian();
        }
        return vector;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
