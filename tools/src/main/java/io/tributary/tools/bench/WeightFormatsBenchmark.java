package io.tributary.tools.bench;

import io.tributary.model.ExpertLoader;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.Precision;
import io.tributary.model.Quantization;
import io.tributary.model.WeightLoading;
import io.tributary.model.decoder.DecoderExpert;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import io.tributary.tools.clustering.Cosine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * One checkpoint in every weight format, side by side in one process: the memory each format's weights take, its
 * load time, single-stream decode tokens/s (formats alternating, round after round, so that the machine's other
 * load falls on all of them alike), and how closely it follows float32: along float32's greedy answer, fed to
 * every format (teacher forcing), the share of steps whose greedy token is float32's, and the mean KL divergence
 * of the next-token distribution from float32's; and how long each format takes to prefill a long prompt.
 *
 * <pre>
 * java -jar tools/target/tributary-0.1.0-SNAPSHOT.jar bench formats --checkpoint DIR [--formats fp32,bf16,int8,int4]
 *     [--tokens 64] [--prefill 512] [--rounds 3] [--group-size 32]
 * </pre>
 */
@Command(
        name = "formats",
        mixinStandardHelpOptions = true,
        description = "One checkpoint in fp32, bf16, int8 and int4: memory, load time, decode tokens/s and agreement"
                + " with fp32.")
public final class WeightFormatsBenchmark implements Callable<Integer> {

    private static final int PROMPT_TOKENS = 16;

    @Option(
            names = "--checkpoint",
            required = true,
            paramLabel = "DIR",
            description = "A Llama, Qwen2, LLaVA or InternVL checkpoint directory.")
    Path checkpoint;

    @Option(
            names = "--formats",
            split = ",",
            defaultValue = "fp32,bf16,int8,int4",
            paramLabel = "F",
            description = "Formats after fp32, the reference, which always runs (default: ${DEFAULT-VALUE}).")
    List<String> formats;

    @Option(
            names = "--tokens",
            defaultValue = "64",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Tokens decoded per answer (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(
            names = "--rounds",
            defaultValue = "3",
            converter = PositiveInteger.class,
            paramLabel = "R",
            description = "Timed answers per format, alternating formats (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(
            names = "--prefill",
            defaultValue = "512",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Positions of the prompt whose prefill is timed (default: ${DEFAULT-VALUE}).")
    int prefill;

    @Option(
            names = "--group-size",
            defaultValue = "32",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Input features per int4 scale (default: ${DEFAULT-VALUE}).")
    int groupSize;

    @Override
    public Integer call() {
        NativeTarget.setIntraOpThreads(1); // the server's default (tributary.engine.threads)
        NativeTarget.prepareInferenceThread();
        Map<String, LoadOptions> options = new LinkedHashMap<>();
        options.put("fp32", options("fp32"));
        formats.forEach(format -> options.put(format, options(format)));
        Map<String, Expert> experts = new LinkedHashMap<>();
        Map<String, String> loaded = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, LoadOptions> format : options.entrySet()) {
                long before = settledAnonymousMemory();
                long started = System.nanoTime();
                experts.put(
                        format.getKey(),
                        Benchmarks.computingEverything(ExpertLoader.withBuiltInFamilies()
                                .load(format.getKey(), checkpoint, format.getValue())));
                double seconds = (System.nanoTime() - started) / 1e9;
                long held = experts.get(format.getKey()) instanceof DecoderExpert decoder
                        ? decoder.decoderWeightBytes()
                        : -1;
                loaded.put(
                        format.getKey(),
                        String.format(
                                Locale.ROOT,
                                "%9.2f %8.2f %7.1f",
                                ProcessMemory.gb(held),
                                ProcessMemory.gb(settledAnonymousMemory() - before),
                                seconds));
            }
            Prompt prompt = randomPrompt(experts.get("fp32"));
            Reference reference = greedy(experts.get("fp32"), prompt);
            Prompt longPrompt = randomPrompt(experts.get("fp32"), prefill);
            Map<String, List<Double>> speeds = new LinkedHashMap<>();
            Map<String, List<Double>> prefills = new LinkedHashMap<>();
            for (int round = 0; round < rounds; round++) {
                for (Map.Entry<String, Expert> expert : experts.entrySet()) {
                    speeds.computeIfAbsent(expert.getKey(), key -> new ArrayList<>())
                            .add(decodeTokensPerSecond(expert.getValue(), prompt));
                    prefills.computeIfAbsent(expert.getKey(), key -> new ArrayList<>())
                            .add(prefillSeconds(expert.getValue(), longPrompt));
                }
            }
            System.out.printf(
                    "%nWeightFormatsBenchmark: %s, %d-token answers after a %d-token prompt, one intra-op"
                            + " thread, large weights split over two cores; agreement and KL along fp32's greedy"
                            + " answer; prefill of a %d-token prompt, median of the rounds%n",
                    checkpoint, tokens, PROMPT_TOKENS, prefill);
            System.out.println(
                    "format  weight GB  RSS+ GB  load s   tokens/s (rounds)              greedy agree   mean KL"
                            + "  prefill s");
            for (Map.Entry<String, Expert> expert : experts.entrySet()) {
                Agreement agreement = agreement(expert.getValue(), prompt, reference);
                List<Double> speed = speeds.get(expert.getKey());
                System.out.printf(
                        Locale.ROOT,
                        "%-6s %s %8.1f %-22s %11.1f%% %9.5f %10.2f%n",
                        expert.getKey(),
                        loaded.get(expert.getKey()),
                        speed.stream()
                                .mapToDouble(Double::doubleValue)
                                .average()
                                .orElseThrow(),
                        speed.stream()
                                .map(v -> String.format(Locale.ROOT, "%.1f", v))
                                .toList(),
                        100.0 * agreement.same() / tokens,
                        agreement.meanKl(),
                        Benchmarks.median(prefills.get(expert.getKey())));
            }
            System.out.println(
                    "weight GB: the decoder's weights as held, embedding included; RSS+ GB: anonymous memory the load added, after a collection (weights read, not"
                            + " mapped; in one process, memory an earlier load freed may be reused or kept by the allocator)");
        } finally {
            experts.values().forEach(Expert::close);
        }
        return 0;
    }

    /**
     * Anonymous memory once the buffers the last load read its file through are gone: they are direct buffers,
     * freed only when a collection finds them unreachable.
     */
    private static long settledAnonymousMemory() {
        System.gc();
        try {
            Thread.sleep(500); // the cleaner thread frees the collected buffers' native memory
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return ProcessMemory.now().anonymous();
    }

    private LoadOptions options(String format) {
        return options(format, groupSize);
    }

    /**
     * A format named on a command line as CPU load options, weights read into owned memory: {@code fp32},
     * {@code bf16}, {@code int8} or {@code int4} in groups of {@code groupSize}.
     */
    static LoadOptions options(String format, int groupSize) {
        LoadOptions fp32 = new LoadOptions("cpu", Precision.FP32, WeightLoading.READ);
        return switch (format.toLowerCase(Locale.ROOT)) {
            case "fp32" -> fp32;
            case "bf16" -> fp32.withPrecision(Precision.BF16);
            case "int8" -> fp32.withQuantization(Quantization.INT8, groupSize);
            case "int4" -> fp32.withQuantization(Quantization.INT4, groupSize);
            default -> throw new IllegalArgumentException("--formats takes fp32, bf16, int8 and int4, got " + format);
        };
    }

    private static Prompt randomPrompt(Expert expert) {
        return randomPrompt(expert, PROMPT_TOKENS);
    }

    private static Prompt randomPrompt(Expert expert, int length) {
        int vocabulary;
        try (ExpertSession probe = expert.open(Prompt.ofTokens(new int[] {1}))) {
            vocabulary = probe.nextLogProbs().length;
        }
        return Prompt.ofTokens(new Random(7).ints(length, 0, vocabulary).toArray());
    }

    /** Seconds from opening a session on {@code prompt} to its first next-token distribution: the prefill. */
    private static double prefillSeconds(Expert expert, Prompt prompt) {
        long started = System.nanoTime();
        try (ExpertSession session = expert.open(prompt)) {
            session.nextLogProbs();
            return (System.nanoTime() - started) / 1e9;
        }
    }

    /** float32's greedy answer and the distributions it was chosen from. */
    private record Reference(int[] tokens, List<float[]> logProbs) {}

    private Reference greedy(Expert expert, Prompt prompt) {
        int[] answer = new int[tokens];
        List<float[]> logProbs = new ArrayList<>();
        try (ExpertSession session = expert.open(prompt)) {
            for (int t = 0; t < tokens; t++) {
                float[] next = session.nextLogProbs();
                logProbs.add(next);
                answer[t] = Cosine.argmax(next);
                session.append(answer[t]);
            }
        }
        return new Reference(answer, logProbs);
    }

    private record Agreement(int same, double meanKl) {}

    private Agreement agreement(Expert expert, Prompt prompt, Reference reference) {
        int same = 0;
        double kl = 0;
        try (ExpertSession session = expert.open(prompt)) {
            for (int t = 0; t < tokens; t++) {
                float[] next = session.nextLogProbs();
                same += Cosine.argmax(next) == reference.tokens()[t] ? 1 : 0;
                float[] expected = reference.logProbs().get(t);
                for (int v = 0; v < next.length; v++) {
                    kl += Math.exp(expected[v]) * (expected[v] - next[v]);
                }
                session.append(reference.tokens()[t]);
            }
        }
        return new Agreement(same, kl / tokens);
    }

    /** Decode speed after the first token, whose time is the prompt's prefill. */
    private double decodeTokensPerSecond(Expert expert, Prompt prompt) {
        try (ExpertSession session = expert.open(prompt)) {
            session.append(Cosine.argmax(session.nextLogProbs()));
            long started = System.nanoTime();
            for (int t = 1; t < tokens; t++) {
                session.append(Cosine.argmax(session.nextLogProbs()));
            }
            return (tokens - 1) / ((System.nanoTime() - started) / 1e9);
        }
    }
}
