package io.tributary.tools.bench;

import io.tributary.routing.sampling.Penalties;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.routing.sampling.TokenSampler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * What choosing one token costs the decoding thread, per sampling setting, on a vocabulary the size of Qwen2's
 * (151,655 tokens): the mixed distribution is in Java, so this is paid once per generated token of every request.
 * The distribution's log-probabilities are Gaussian with a spread of {@code --spread}: a wide spread is peaked, as a
 * trained model's usually is, and a narrow one is flat, top-p's worst case.
 *
 * <pre>
 * java -jar tools/target/tributary-0.1.0-SNAPSHOT.jar bench sampling [--vocabulary 151655] [--spread 3]
 *     [--samples 300]
 * </pre>
 */
@Command(
        name = "sampling",
        mixinStandardHelpOptions = true,
        description = "What choosing one token from a large vocabulary costs, per sampling setting.")
public final class SamplingBenchmark implements Callable<Integer> {

    @Option(
            names = "--vocabulary",
            defaultValue = "151655",
            converter = PositiveInteger.class,
            paramLabel = "V",
            description = "Tokens in the distribution (default: ${DEFAULT-VALUE}, Qwen2's).")
    int vocabulary;

    @Option(
            names = "--spread",
            defaultValue = "3",
            paramLabel = "S",
            description = "Standard deviation of the log-probabilities before normalising (default: ${DEFAULT-VALUE}).")
    double spread;

    @Option(
            names = "--samples",
            defaultValue = "300",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Timed samples per setting, after as many to warm up (default: ${DEFAULT-VALUE}).")
    int samples;

    @Override
    public Integer call() {
        float[] logProbs = distribution();
        Map<String, SamplingParams> settings = new LinkedHashMap<>();
        settings.put("greedy", SamplingParams.GREEDY);
        settings.put("temperature 0.8", new SamplingParams(true, 0.8, 0, 1.0, 1.0, 1L));
        settings.put("top-k 50", new SamplingParams(true, 1.0, 50, 1.0, 1.0, 1L));
        settings.put("top-p 0.9", new SamplingParams(true, 1.0, 0, 0.9, 1.0, 1L));
        settings.put("top-k 50, top-p 0.9", new SamplingParams(true, 1.0, 50, 0.9, 1.0, 1L));
        settings.put("min-p 0.05", new SamplingParams(true, 1.0, 0, 1.0, 1.0, 1L, 1.0, 0.05, Penalties.NONE));
        settings.put(
                "penalties, greedy",
                new SamplingParams(false, 1.0, 0, 1.0, 1.1, null, 1.0, 0, new Penalties(0.5, 0.5, Map.of(7, -100.0))));
        System.out.printf(
                Locale.ROOT,
                "%nSamplingBenchmark: one token chosen from %,d, log-probabilities of spread %.1f; milliseconds, median"
                        + " of %d after as many to warm up, once every setting has run%n",
                vocabulary,
                spread,
                samples);
        System.out.println("setting                     ms a token");
        settings.values().forEach(setting -> time(setting, logProbs)); // every path compiled before any is timed
        settings.forEach(
                (name, setting) -> System.out.printf(Locale.ROOT, "%-26s %11.3f%n", name, time(setting, logProbs)));
        return 0;
    }

    /** The median time of one sample, after as many untimed. */
    private double time(SamplingParams setting, float[] logProbs) {
        TokenSampler sampler = new TokenSampler(setting, new int[0], 1);
        List<Double> times = new ArrayList<>();
        for (int i = -samples; i < samples; i++) {
            long started = System.nanoTime();
            sampler.sample(logProbs);
            if (i >= 0) {
                times.add((System.nanoTime() - started) / 1e6);
            }
        }
        return Benchmarks.median(times);
    }

    private float[] distribution() {
        Random random = new Random(1);
        double[] weights = new double[vocabulary];
        double sum = 0;
        for (int i = 0; i < vocabulary; i++) {
            weights[i] = Math.exp(spread * random.nextGaussian());
            sum += weights[i];
        }
        float[] logProbs = new float[vocabulary];
        for (int i = 0; i < vocabulary; i++) {
            logProbs[i] = (float) Math.log(weights[i] / sum);
        }
        return logProbs;
    }
}
