package io.tributary.tools.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.WeightLoading;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.decoder.BatchDecoder;
import io.tributary.model.decoder.DecoderPrompt;
import io.tributary.model.decoder.DecoderSession;
import io.tributary.model.decoder.LlamaModel;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.image.InternVlImageProcessor;
import io.tributary.model.image.PixelValues;
import io.tributary.model.internvl.InternVlConfig;
import io.tributary.model.internvl.InternVlVisionEncoder;
import io.tributary.model.llama.LlamaConfig;
import io.tributary.routing.ImageInput;
import io.tributary.tools.clustering.Cosine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * How fast Tributary runs a model of InternVL2.5-1B's real size on this machine: a table, not a test. Writes (once,
 * deterministically) a randomly initialised float32 checkpoint with the real shapes in OpenGVLab's layout (see
 * {@link InternVl2_5OneB}), then in this one process measures loading, image encoding, prefill and greedy decoding,
 * and the process's peak resident memory against the checkpoint's size.
 *
 * <p>The parts are measured separately, each through the code that serves it: the Qwen2 decoder through the
 * llama package ({@link LlamaModel}, {@link DecoderSession}) and the image path through
 * {@link InternVlImageProcessor} and {@link InternVlVisionEncoder}.
 *
 * <pre>
 * java -jar tools/target/tributary-0.1.0-SNAPSHOT.jar bench real-shape [--dir DIR] [--keep] [--tokens 64]
 *     [--threads 1,2] [--seed 1] [--weights mmap|read] [--skip-vision]
 * </pre>
 */
@Command(
        name = "real-shape",
        mixinStandardHelpOptions = true,
        description = "How fast a model of InternVL2.5-1B's real size runs here: loading, image encoding, prefill,"
                + " greedy decoding and peak memory, on random float32 weights.")
public final class RealShapeBenchmark implements Callable<Integer> {

    private static final int WARM_UP_TOKENS = 8;
    private static final int DECODE_PROMPT = 16;
    private static final int[] PREFILL_LENGTHS = {256, 1024};

    @Option(
            names = "--dir",
            paramLabel = "DIR",
            description = "Where the checkpoint is written (reused if complete; default: a temporary directory).")
    Path dir;

    @Option(names = "--keep", description = "Keep the checkpoint afterwards (default: delete it when written here).")
    boolean keep;

    @Option(
            names = "--tokens",
            defaultValue = "64",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Greedy tokens decoded per measurement (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(
            names = "--threads",
            split = ",",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "PyTorch intra-op threads for decoding, e.g. 1,2 (default: the engine's setting,"
                    + " -Dai.djl.pytorch.num_threads, else every core).")
    List<Integer> threads;

    @Option(
            names = "--seed",
            defaultValue = "1",
            paramLabel = "S",
            description = "The weights' seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--weights",
            defaultValue = "mmap",
            converter = WeightMode.class,
            paramLabel = "MODE",
            description = "How weights are loaded: mmap or read (default: ${DEFAULT-VALUE}).")
    WeightLoading weights;

    @Option(names = "--skip-vision", description = "Measure the decoder only.")
    boolean skipVision;

    private final List<String> table = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (threads == null) {
            threads = List.of(engineThreads());
        }
        System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads.get(0)));
        run();
        return 0;
    }

    /** Without {@code --threads}: the engine's own setting where one is given, else one thread a core. */
    private static int engineThreads() {
        String property = System.getProperty("ai.djl.pytorch.num_threads");
        return property != null
                ? Integer.parseInt(property)
                : Runtime.getRuntime().availableProcessors();
    }

    private void run() throws Exception {
        Path dir = this.dir != null ? this.dir : Files.createTempDirectory("tributary-bench-");
        boolean wrote = false;
        try {
            if (RealShapeCheckpoint.isComplete(dir, seed)) {
                row("checkpoint", "%s (reused)", dir);
            } else {
                long start = System.nanoTime();
                RealShapeCheckpoint.write(dir, seed);
                wrote = true;
                row("checkpoint", "%s written in %.1f s", dir, seconds(start));
            }
            measure(dir);
        } finally {
            if (wrote && !keep) {
                deleteCheckpoint(dir, this.dir == null);
            }
        }
    }

    private void measure(Path dir) throws IOException {
        long bytes = RealShapeCheckpoint.weightBytes(dir);
        row("weights", "%.2f GB float32 safetensors (%d shards)", ProcessMemory.gb(bytes), shardCount(dir));
        long warm = System.nanoTime();
        readOnce(dir);
        row("page cache", "warm: every shard read once before timing (%.1f s)", seconds(warm));

        NativeTarget.prepareInferenceThread();
        row(
                "engine",
                "PyTorch %s on CPU via DJL, %d cores, intra-op threads %d",
                Engine.getEngine("PyTorch").getVersion(),
                Runtime.getRuntime().availableProcessors(),
                JniUtils.getNumThreads());

        JsonConfig config = JsonConfig.read(dir);
        LoadOptions load = LoadOptions.cpu().withWeightLoading(weights);
        long start = System.nanoTime();
        CheckpointTensors tensors = CheckpointTensors.open(dir, weights);
        tensors.validate(
                LlamaModel.expectedShapes(tensors, config.llm),
                LlamaModel.ignoredTensors().or(RealShapeBenchmark::isVision),
                "Qwen2");
        try (NDManager manager = NativeTarget.newModelManager(load, "bench-decoder")) {
            LlamaModel model = LlamaModel.load(tensors, config.llm, manager, DataType.FLOAT32);
            double decoderSeconds = seconds(start);
            long visionStart = System.nanoTime();
            try (InternVlVisionEncoder vision = skipVision ? null : InternVlVisionEncoder.load(dir, load)) {
                double total = seconds(start);
                long loaded = tensors.names().stream()
                        .filter(name -> vision != null || !isVision(name))
                        .mapToLong(name -> tensors.find(name).orElseThrow().byteLength())
                        .sum();
                row(
                        "load",
                        "weights %s: decoder %.2f s, vision %.2f s: %.2f GB in %.2f s = %.2f GB/s",
                        weights.name().toLowerCase(Locale.ROOT),
                        decoderSeconds,
                        seconds(visionStart),
                        ProcessMemory.gb(loaded),
                        total,
                        ProcessMemory.gb(loaded) / total);
                row("memory", "after load: %s", ProcessMemory.now());
                decoder(model, manager);
                row("memory", "after the decoder runs: %s", ProcessMemory.now());
                long textPeak = ProcessMemory.now().peakResident();
                if (vision != null) {
                    vision(vision, config.vision);
                    row("memory", "after image encoding: %s", ProcessMemory.now());
                }
                summary(bytes, textPeak);
            }
        }
    }

    /** Prefill, then greedy decoding for each thread count, with large matmuls split over two cores and not. */
    private void decoder(LlamaModel model, NDManager manager) {
        Random random = new Random(seed);
        try (BatchDecoder decoder =
                Benchmarks.computingEverything(new BatchDecoder(model, manager, DataType.FLOAT32))) {
            long start = System.nanoTime();
            try (DecoderSession session = session(decoder, randomTokens(random, DECODE_PROMPT))) {
                session.nextLogProbs();
                row(
                        "first step",
                        "%.2f s: a %d-token prefill right after loading (first touch of every decoder" + " weight)",
                        seconds(start),
                        DECODE_PROMPT);
            }
            try (DecoderSession warmUp = session(decoder, randomTokens(random, 32))) {
                warmUp.nextLogProbs();
            }
            for (int length : PREFILL_LENGTHS) {
                try (DecoderSession session = session(decoder, randomTokens(random, length))) {
                    long prefill = System.nanoTime();
                    session.nextLogProbs();
                    double s = seconds(prefill);
                    row("prefill", "%d tokens in %.2f s = %.0f tokens/s", length, s, length / s);
                }
            }
        }
        for (int count : threads) {
            JniUtils.setNumThreads(count);
            for (boolean split : new boolean[] {true, false}) {
                try (BatchDecoder decoder =
                        Benchmarks.computingEverything(new BatchDecoder(model, manager, DataType.FLOAT32, split))) {
                    decode(decoder, random, count, split);
                }
            }
        }
        JniUtils.setNumThreads(threads.get(0));
    }

    private void decode(BatchDecoder decoder, Random random, int threads, boolean split) {
        try (DecoderSession session = session(decoder, randomTokens(random, DECODE_PROMPT))) {
            int token = Cosine.argmax(session.nextLogProbs());
            for (int i = 0; i < WARM_UP_TOKENS; i++) {
                session.append(token);
                token = Cosine.argmax(session.nextLogProbs());
            }
            long decode = System.nanoTime();
            for (int i = 0; i < tokens; i++) {
                session.append(token);
                token = Cosine.argmax(session.nextLogProbs());
            }
            double s = seconds(decode);
            row(
                    "decode",
                    "%d threads%s: %d greedy tokens in %.2f s = %.2f tokens/s (%.0f ms/token)",
                    threads,
                    split ? ", large matmuls split over 2 cores" : "",
                    tokens,
                    s,
                    tokens / s,
                    1000 * s / tokens);
        }
    }

    private void vision(InternVlVisionEncoder encoder, InternVlConfig config) throws IOException {
        InternVlImageProcessor processor = config.imageProcessor(ImageLimits.DEFAULT);
        ImageInput tile = TestPattern.png(InternVl2_5OneB.IMAGE, InternVl2_5OneB.IMAGE);
        encoder.encodeToFloats(processor.process(tile)); // warm-up: first-call allocations and kernel choice
        long start = System.nanoTime();
        List<PixelValues> one = processor.process(tile);
        double preprocess = seconds(start);
        long encode = System.nanoTime();
        encoder.encodeToFloats(one);
        row(
                "image",
                "448x448 PNG, %d tile: preprocess %.0f ms, encode %.2f s (%d image tokens)",
                one.size(),
                1000 * preprocess,
                seconds(encode),
                one.size() * encoder.tokensPerTile());
        ImageInput wide = TestPattern.png(3 * InternVl2_5OneB.IMAGE, 2 * InternVl2_5OneB.IMAGE);
        start = System.nanoTime();
        List<PixelValues> tiles = processor.process(wide);
        preprocess = seconds(start);
        encode = System.nanoTime();
        encoder.encodeToFloats(tiles);
        row(
                "image",
                "1344x896 PNG, 6 tiles + thumbnail: preprocess %.0f ms, encode %.2f s (%d image tokens)",
                1000 * preprocess,
                seconds(encode),
                tiles.size() * encoder.tokensPerTile());
    }

    private void summary(long checkpointBytes, long textPeak) {
        ProcessMemory end = ProcessMemory.now();
        row(
                "peak RSS",
                "%.2f GB = %.2fx the checkpoint (decoder phases only: %.2f GB = %.2fx); target <= 1.3x",
                ProcessMemory.gb(end.peakResident()),
                (double) end.peakResident() / checkpointBytes,
                ProcessMemory.gb(textPeak),
                (double) textPeak / checkpointBytes);
        System.out.println();
        System.out.println("RealShapeBenchmark: InternVL2.5-1B shapes, random float32 weights; measured by parts"
                + " (decoder: llama package, Qwen2 path; image: InternVlImageProcessor + InternVlVisionEncoder)");
        table.forEach(System.out::println);
    }

    private static DecoderSession session(BatchDecoder decoder, int[] tokens) {
        return decoder.open(DecoderPrompt.text(tokens));
    }

    private static boolean isVision(String name) {
        return name.startsWith("vision_model.") || name.startsWith("mlp1.");
    }

    private static int[] randomTokens(Random random, int length) {
        return random.ints(length, 0, InternVl2_5OneB.BOS).toArray();
    }

    /** Reads every shard once, so timings start from a warm page cache, as a restarted server finds it. */
    private static void readOnce(Path dir) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(64 << 20);
        for (Path shard : shards(dir)) {
            try (FileChannel channel = FileChannel.open(shard, StandardOpenOption.READ)) {
                while (channel.read(buffer.clear()) > 0) {
                    // discard: only the page cache matters
                }
            }
        }
    }

    private static List<Path> shards(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".safetensors"))
                    .sorted()
                    .toList();
        }
    }

    private static long shardCount(Path dir) throws IOException {
        return shards(dir).size();
    }

    private static void deleteCheckpoint(Path dir, boolean ownDirectory) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                if (!f.equals(dir) || ownDirectory) {
                    Files.delete(f);
                }
            }
        }
    }

    private void row(String what, String format, Object... args) {
        String line = String.format("%-11s %s", what, String.format(format, args));
        table.add(line);
        System.out.println(line);
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** The decoder's and the image path's configs, from the checkpoint's {@code config.json}. */
    private record JsonConfig(LlamaConfig llm, InternVlConfig vision) {
        static JsonConfig read(Path dir) throws IOException {
            var json = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
            return new JsonConfig(LlamaConfig.fromJson(json.get("llm_config")), InternVlConfig.read(dir));
        }
    }

    /** {@code mmap} or {@code read}, in any case: how {@code --weights} names a {@link WeightLoading}. */
    static final class WeightMode implements ITypeConverter<WeightLoading> {

        @Override
        public WeightLoading convert(String value) {
            for (WeightLoading mode : WeightLoading.values()) {
                if (mode.name().equalsIgnoreCase(value)) {
                    return mode;
                }
            }
            throw new TypeConversionException("'" + value + "' is not mmap or read");
        }
    }
}
