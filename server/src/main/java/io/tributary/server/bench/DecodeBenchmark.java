package io.tributary.server.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.tributary.model.ExpertLoader;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.routing.Prompt;
import io.tributary.routing.decode.Generation;
import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.GenerationListener;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.decode.GenerationResult;
import io.tributary.routing.decode.StoppingCriteria;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.server.mixture.EmbeddedDefaultMixture;
import io.tributary.server.mixture.ManifestReader;
import io.tributary.server.mixture.MixtureManifest;
import io.tributary.server.mixture.MixtureManifest.RouterEntry;
import io.tributary.server.mixture.MixtureLoader;
import io.tributary.server.mixture.ServedModel;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decoding speed of the embedded default experts, alone and mixed, measured in one process so the ratios are
 * comparable: greedy decoding, end-of-sequence ignored, prefill included, no HTTP. Prints a table.
 *
 * <pre>
 * java -cp server/target/tributary-server-*.jar -Dloader.main=io.tributary.server.bench.DecodeBenchmark \
 *     org.springframework.boot.loader.launch.PropertiesLauncher [--tokens 128] [--runs 7] [--cache DIR]
 * </pre>
 */
public final class DecodeBenchmark {

    private static final String PROMPT = "The river bends where the old mill stands, and";

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        int tokens = Integer.parseInt(options.getOrDefault("tokens", "128"));
        int runs = Integer.parseInt(options.getOrDefault("runs", "7"));
        Path cache = Path.of(options.getOrDefault("cache", System.getProperty("user.home") + "/.cache/tributary"));
        System.setProperty("ai.djl.offline", "true");
        ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN); // the table only
        NativeTarget.prepareInferenceThread();

        Path root = EmbeddedDefaultMixture.ensure(cache).getParent();
        Map<String, MixtureManifest> setups = new LinkedHashMap<>();
        setups.put("1 expert", MixtureManifest.of("single", RouterEntry.of("uniform"), "expert-0"));
        setups.put("2 experts, fixed [1, 0]",
                MixtureManifest.of("one-hot", RouterEntry.of("fixed", 1.0, 0.0), "expert-0", "expert-1"));
        setups.put("2 experts, uniform", MixtureManifest.of("uniform", RouterEntry.of("uniform"), "expert-0", "expert-1"));

        MixtureLoader loader = new MixtureLoader(ExpertLoader.withBuiltInFamilies(), LoadOptions.cpu());
        List<String> names = List.copyOf(setups.keySet());
        List<ServedModel> models = new ArrayList<>();
        for (MixtureManifest manifest : setups.values()) {
            models.add(loader.load(ManifestReader.write(root.resolve(manifest.name() + ".yaml"), manifest)));
        }
        try {
            for (int i = 0; i < 5; i++) {
                models.forEach(model -> decode(model, tokens)); // warm-up: JIT and libtorch kernels
            }
            // Setups take turns run by run, so a slow spell of this shared machine hits them all alike.
            double[][] seconds = new double[models.size()][runs];
            for (int run = 0; run < runs; run++) {
                for (int m = 0; m < models.size(); m++) {
                    seconds[m][run] = decode(models.get(m), tokens);
                }
            }
            System.out.printf("Greedy decoding of %d tokens after a %d-character prompt, median of %d runs, %d cores%n%n",
                    tokens, PROMPT.length(), runs, Runtime.getRuntime().availableProcessors());
            System.out.printf("%-26s %12s %12s %14s%n", "setup", "tokens/s", "ms/token", "vs 1 expert");
            double single = median(seconds[0]);
            for (int m = 0; m < models.size(); m++) {
                double median = median(seconds[m]);
                System.out.printf("%-26s %12.1f %12.2f %13.2fx%n", names.get(m), tokens / median,
                        1000 * median / tokens, median / single);
            }
        } finally {
            for (ServedModel model : models) {
                model.close();
            }
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** Seconds to generate {@code tokens} tokens, prefill included. */
    private static double decode(ServedModel model, int tokens) {
        Prompt prompt = Prompt.ofTokens(model.encoder().apply(PROMPT));
        GenerationRequest request = new GenerationRequest(prompt, SamplingParams.GREEDY,
                new StoppingCriteria(tokens, List.of(), true));
        int[] generated = new int[1];
        Generation generation = model.mixture().start(request, new GenerationListener() {
            @Override
            public void onToken(GeneratedToken token) {
                generated[0]++;
            }

            @Override
            public void onFinish(GenerationResult result) {
            }

            @Override
            public void onError(Throwable error) {
                throw new IllegalStateException(error);
            }
        });
        long start = System.nanoTime();
        while (!generation.step()) {
            // decode inline
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (generated[0] != tokens) {
            throw new IllegalStateException("generated " + generated[0] + " tokens, expected " + tokens);
        }
        return seconds;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --name value, got " + args[i]);
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        return options;
    }
}
