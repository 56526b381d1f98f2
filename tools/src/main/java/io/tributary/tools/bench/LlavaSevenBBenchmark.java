package io.tributary.tools.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.tributary.model.ExpertLoader;
import io.tributary.model.ImageProcessorFactory;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.decoder.DecoderExpert;
import io.tributary.model.safetensors.SafetensorsWriter.StreamedTensor;
import io.tributary.model.vision.VisionTowers;
import io.tributary.routing.Expert;
import io.tributary.routing.ImageInput;
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

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * A soft mixture of LLaVA-1.5-7B-shaped experts on this machine: a table, not a test. Writes (once, deterministically)
 * K random float16 checkpoints in llava-hf's layout ({@link LlavaShapeCheckpoint}: each expert its own decoder and
 * projector, the CLIP tower the same in all), loads them through {@link ExpertLoader} as the server does, the tower
 * held once ({@link VisionTowers}), and measures per expert its load time, the weight bytes it holds and the
 * process's memory during and after its load; then the mixture's greedy decoding of a text prompt and of a prompt
 * with one image.
 *
 * <pre>
 * java -jar tools/target/tributary-0.1.0-SNAPSHOT.jar bench llava-7b --dir DIR [--quantization int4|int8]
 *     [--experts 2] [--tokens 32]
 * </pre>
 */
@Command(
        name = "llava-7b",
        mixinStandardHelpOptions = true,
        description = "A soft mixture of LLaVA-1.5-7B-shaped experts (random float16 weights): load time, weight"
                + " bytes, memory, and decoding with a text prompt and with one image.")
public final class LlavaSevenBBenchmark implements Callable<Integer> {

    private static final int TEXT_PROMPT = 32;
    private static final int WARM_UP_TOKENS = 4;
    private static final int FEATURE_DIMENSION = 16;

    @Option(
            names = "--dir",
            required = true,
            paramLabel = "DIR",
            description = "Where the experts' checkpoints are (DIR/expert-K), written there if missing (14 GB each).")
    Path dir;

    @Option(
            names = "--experts",
            defaultValue = "2",
            converter = PositiveInteger.class,
            paramLabel = "K",
            description = "Experts in the soft mixture (default: ${DEFAULT-VALUE}).")
    int experts;

    @Option(
            names = "--tokens",
            defaultValue = "32",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Greedy tokens decoded per prompt (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(
            names = "--seed",
            defaultValue = "1",
            paramLabel = "S",
            description = "Expert K's decoder seed is S + K (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--min-available-gb",
            defaultValue = "2",
            paramLabel = "GB",
            description = "Stop at once when the machine's available memory falls below this (default:"
                    + " ${DEFAULT-VALUE}).")
    double minAvailableGb;

    @Option(
            names = "--layers",
            hidden = true,
            split = ",",
            paramLabel = "DECODER,TOWER",
            description = "Fewer layers at the real widths, for a quick run.")
    List<Integer> layers;

    @Option(names = "--narrow", hidden = true, description = "Narrow shapes of a few megabytes, for tests.")
    boolean narrow;

    @Mixin
    WeightOptions weights;

    private final List<String> table = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN); // the table only
        LlavaShapes shapes = narrow ? LlavaShapes.NARROW : LlavaShapes.LLAVA_1_5_7B;
        if (layers != null) {
            shapes = shapes.withLayers(layers.get(0), layers.get(layers.size() - 1));
        }
        List<Path> directories = new ArrayList<>();
        for (int k = 0; k < experts; k++) {
            Path directory = dir.resolve("expert-" + k);
            if (LlavaShapeCheckpoint.isComplete(directory, shapes, seed + k)) {
                row("checkpoint", "%s (reused)", directory);
            } else {
                long start = System.nanoTime();
                LlavaShapeCheckpoint.write(directory, shapes, seed + k);
                row("checkpoint", "%s written in %.1f s", directory, seconds(start));
            }
            directories.add(directory);
        }
        NativeTarget.prepareInferenceThread();
        try (MemoryWatch watch = new MemoryWatch((long) (minAvailableGb * 1e9))) {
            measure(shapes, directories, watch);
        }
        System.out.println();
        System.out.printf(
                "LlavaSevenBBenchmark: %d LLaVA-1.5 experts (%s), random float16 checkpoints, weights %s, %d cores%n",
                experts,
                shapes.describe(),
                weights.label(),
                Runtime.getRuntime().availableProcessors());
        table.forEach(System.out::println);
        return 0;
    }

    private void measure(LlavaShapes shapes, List<Path> directories, MemoryWatch watch) throws Exception {
        LoadOptions options = weights.applyTo(LoadOptions.cpu());
        try (VisionTowers towers = new VisionTowers()) {
            measure(shapes, directories, watch, options, towers);
        }
    }

    private void measure(
            LlavaShapes shapes, List<Path> directories, MemoryWatch watch, LoadOptions options, VisionTowers towers)
            throws Exception {
        List<Expert> loaded = new ArrayList<>();
        try {
            ExpertLoader loader = ExpertLoader.withBuiltInFamilies(ImageProcessorFactory.DEFAULT, towers);
            row("memory", "before loading: %s", ProcessMemory.now());
            long total = System.nanoTime();
            long held = 0;
            long towersHeld = 0;
            for (int k = 0; k < directories.size(); k++) {
                watch.restart();
                long start = System.nanoTime();
                Expert expert = Benchmarks.computingEverything(loader.load("expert-" + k, directories.get(k), options));
                loaded.add(expert);
                double loadSeconds = seconds(start);
                long decoder = ((DecoderExpert) expert).decoderWeightBytes();
                long projector = heldBytes(shapes, LlavaShapeCheckpoint.PROJECTOR_PREFIX, options);
                long tower = towers.weightBytes() - towersHeld; // a tower shared with an earlier expert adds none
                towersHeld += tower;
                held += decoder + projector + tower;
                MemoryWatch.Peaks peaks = watch.peaks();
                ProcessMemory after = ProcessMemory.now();
                row(
                        "load",
                        "expert-%d in %.1f s; holds decoder %.2f GB + projector %.2f GB + tower %.2f GB%s",
                        k,
                        loadSeconds,
                        ProcessMemory.gb(decoder),
                        ProcessMemory.gb(projector),
                        ProcessMemory.gb(tower),
                        k == 0 ? "" : " (shared: " + towers.towers() + " tower held)");
                row(
                        "",
                        "during: peak RSS %.2f GB (anonymous up to %.2f, file-backed up to %.2f); machine's available"
                                + " memory down to %.2f GB",
                        ProcessMemory.gb(after.peakResident()),
                        ProcessMemory.gb(peaks.anonymous()),
                        ProcessMemory.gb(peaks.file()),
                        ProcessMemory.gb(peaks.minAvailable()));
                row(
                        "",
                        "after:  %s; Java heap %.2f GB committed",
                        after,
                        ProcessMemory.gb(Runtime.getRuntime().totalMemory()));
            }
            row(
                    "total",
                    "%d experts loaded in %.1f s; weights held %.2f GB; RSS %.2f GB = %.2fx the weights",
                    directories.size(),
                    seconds(total),
                    ProcessMemory.gb(held),
                    ProcessMemory.gb(ProcessMemory.now().resident()),
                    (double) ProcessMemory.now().resident() / held);
            watch.restart();
            decode(shapes, loaded, towers);
            ProcessMemory end = ProcessMemory.now();
            row("memory", "while decoding: peak RSS %.2f GB; after: %s", ProcessMemory.gb(end.peakResident()), end);
        } finally {
            loaded.forEach(Expert::close);
        }
    }

    /** Bytes the tensors under {@code prefix} take as held: dense, in the activations' type (the projector is). */
    private long heldBytes(LlavaShapes shapes, String prefix, LoadOptions options) {
        long elements = LlavaShapeCheckpoint.tensors(shapes, seed).stream()
                .filter(tensor -> tensor.name().startsWith(prefix))
                .mapToLong(StreamedTensor::elementCount)
                .sum();
        return elements * NativeTarget.dataType(options).getNumOfBytes();
    }

    private void decode(LlavaShapes shapes, List<Expert> experts, VisionTowers towers) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        Mixture mixture = softMixture(experts, random);
        Prompt text = Prompt.ofTokens(promptTokens(random, TEXT_PROMPT, -1));
        generate(mixture, text, WARM_UP_TOKENS); // first touch of the weights, kernel choice
        double[] textTiming = generate(mixture, text, tokens);
        row(
                "text",
                "%d-token prompt: prefill %.2f s; %d greedy tokens at %.2f tokens/s (%.0f ms/token)",
                TEXT_PROMPT,
                textTiming[0],
                tokens,
                1 / textTiming[1],
                1000 * textTiming[1]);
        ImageInput png = TestPattern.png(640, 480);
        Prompt withImage = new Prompt(promptTokens(random, TEXT_PROMPT, 4), List.of(png));
        long encodesBefore = towers.encodes();
        double[] imageTiming = generate(mixture, withImage, tokens);
        row(
                "image",
                "640x480 PNG + %d tokens = %d positions: prefill %.2f s (tower encodes: %d); %d greedy tokens at %.2f"
                        + " tokens/s (%.0f ms/token)",
                TEXT_PROMPT - 1,
                TEXT_PROMPT - 1 + shapes.patches(),
                imageTiming[0],
                towers.encodes() - encodesBefore,
                tokens,
                1 / imageTiming[1],
                1000 * imageTiming[1]);
    }

    /** A K-expert soft mixture whose router is given one fixed feature: both experts run on every token. */
    private static Mixture softMixture(List<Expert> experts, SplittableRandom random) {
        float[][] centroids = new float[experts.size()][];
        for (int k = 0; k < centroids.length; k++) {
            centroids[k] = gaussian(random);
        }
        double[] priors = new double[experts.size()];
        Arrays.fill(priors, 1);
        float[] feature = new float[FEATURE_DIMENSION]; // the centroids' mean: equal weights for K = 2
        for (float[] centroid : centroids) {
            for (int i = 0; i < feature.length; i++) {
                feature[i] += centroid[i] / centroids.length;
            }
        }
        Routers routers = new Routers(new RoutingResources(
                experts.size(),
                new ClusterModel(centroids, new float[FEATURE_DIMENSION], priors),
                null,
                anyPrompt -> Optional.of(feature),
                1.0));
        RouterSpec soft = RouterSpec.of("soft");
        Set<Integer> special =
                Set.of(0, LlavaShapes.BOS, LlavaShapes.EOS, LlavaShapes.IMAGE_TOKEN, LlavaShapes.PAD_TOKEN);
        return new Mixture(
                soft.mode(),
                experts,
                routers.create(soft),
                new TokenIds(LlavaShapes.TOKENIZER_VOCAB, special),
                Set.of(LlavaShapes.EOS));
    }

    /** BOS, then ordinary token ids; the image placeholder at {@code imageAt} unless negative. */
    private static int[] promptTokens(SplittableRandom random, int length, int imageAt) {
        int[] ids = new int[length];
        ids[0] = LlavaShapes.BOS;
        for (int i = 1; i < length; i++) {
            ids[i] = i == imageAt ? LlavaShapes.IMAGE_TOKEN : random.nextInt(3, LlavaShapes.IMAGE_TOKEN);
        }
        return ids;
    }

    /** Seconds to the first token (prefill and routing), then seconds per further token. */
    private static double[] generate(Mixture mixture, Prompt prompt, int count) {
        long[] times = new long[2];
        int[] generated = new int[1];
        GenerationRequest request = new GenerationRequest(
                prompt, SamplingParams.GREEDY, new StoppingCriteria(count, List.of(), true), mixture.router());
        long start = System.nanoTime();
        Generation generation = mixture.start(request, new GenerationListener() {
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
        if (generated[0] != count) {
            throw new IllegalStateException("generated " + generated[0] + " tokens, expected " + count);
        }
        double perToken = count > 1 ? (times[1] - times[0]) / 1e9 / (count - 1) : Double.NaN;
        return new double[] {(times[0] - start) / 1e9, perToken};
    }

    private static float[] gaussian(SplittableRandom random) {
        float[] vector = new float[FEATURE_DIMENSION];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = (float) random.nextGaussian();
        }
        return vector;
    }

    private void row(String what, String format, Object... args) {
        String line = String.format("%-10s %s", what, String.format(format, args));
        table.add(line);
        System.out.println(line);
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
