package io.tributary.tools.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.WeightLoading;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.image.InternVlImageProcessor;
import io.tributary.model.image.PixelValues;
import io.tributary.model.internvl.InternVlConfig;
import io.tributary.model.internvl.InternVlVisionEncoder;
import io.tributary.model.decoder.BatchDecoder;
import io.tributary.model.decoder.DecoderPrompt;
import io.tributary.model.llama.LlamaConfig;
import io.tributary.model.decoder.LlamaModel;
import io.tributary.model.decoder.DecoderSession;
import io.tributary.routing.ImageInput;
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
import java.util.stream.Stream;
import tools.jackson.databind.ObjectMapper;

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
 * --dir DIR       where the checkpoint is written (reused if complete); default a temporary directory
 * --keep          keep the checkpoint afterwards (default: delete it when the benchmark wrote it)
 * --tokens N      greedy tokens decoded per measurement (default 64)
 * --threads LIST  PyTorch intra-op threads for decoding, e.g. 1,2 (default: the engine's setting)
 * --seed S        weights' seed (default 1)
 * --weights MODE  mmap (default) or read: how weights are loaded (see {@link WeightLoading})
 * --skip-vision   measure the decoder only
 * </pre>
 */
public final class RealShapeBenchmark {

    private static final int WARM_UP_TOKENS = 8;
    private static final int DECODE_PROMPT = 16;
    private static final int[] PREFILL_LENGTHS = {256, 1024};

    private final Options options;
    private final List<String> table = new ArrayList<>();

    private RealShapeBenchmark(Options options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        if (options.threads.isEmpty() && System.getProperty("ai.djl.pytorch.num_threads") == null) {
            options = options.withThreads(List.of(Runtime.getRuntime().availableProcessors()));
        }
        System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(options.threads.get(0)));
        new RealShapeBenchmark(options).run();
    }

    private void run() throws Exception {
        Path dir = options.dir != null ? options.dir : Files.createTempDirectory("tributary-bench-");
        boolean wrote = false;
        try {
            if (RealShapeCheckpoint.isComplete(dir, options.seed)) {
                row("checkpoint", "%s (reused)", dir);
            } else {
                long start = System.nanoTime();
                RealShapeCheckpoint.write(dir, options.seed);
                wrote = true;
                row("checkpoint", "%s written in %.1f s", dir, seconds(start));
            }
            measure(dir);
        } finally {
            if (wrote && !options.keep) {
                deleteCheckpoint(dir, options.dir == null);
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
        row("engine", "PyTorch %s on CPU via DJL, %d cores, intra-op threads %d", Engine.getEngine("PyTorch")
                .getVersion(), Runtime.getRuntime().availableProcessors(), JniUtils.getNumThreads());

        JsonConfig config = JsonConfig.read(dir);
        LoadOptions load = LoadOptions.cpu().withWeightLoading(options.weights);
        long start = System.nanoTime();
        CheckpointTensors tensors = CheckpointTensors.open(dir, options.weights);
        tensors.validate(LlamaModel.expectedShapes(tensors, config.llm), LlamaModel.ignoredTensors()
                .or(RealShapeBenchmark::isVision), "Qwen2");
        try (NDManager manager = NativeTarget.newModelManager(load, "bench-decoder")) {
            LlamaModel model = LlamaModel.load(tensors, config.llm, manager, DataType.FLOAT32);
            double decoderSeconds = seconds(start);
            long visionStart = System.nanoTime();
            try (InternVlVisionEncoder vision = options.skipVision ? null
                    : InternVlVisionEncoder.load(dir, load)) {
                double total = seconds(start);
                long loaded = tensors.names().stream().filter(name -> vision != null || !isVision(name))
                        .mapToLong(name -> tensors.find(name).orElseThrow().byteLength()).sum();
                row("load", "weights %s: decoder %.2f s, vision %.2f s: %.2f GB in %.2f s = %.2f GB/s",
                        options.weights.name().toLowerCase(Locale.ROOT), decoderSeconds, seconds(visionStart),
                        ProcessMemory.gb(loaded), total, ProcessMemory.gb(loaded) / total);
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
        Random random = new Random(options.seed);
        try (BatchDecoder decoder = new BatchDecoder(model, manager, DataType.FLOAT32)) {
            long start = System.nanoTime();
            try (DecoderSession session = session(decoder, randomTokens(random, DECODE_PROMPT))) {
                session.nextLogProbs();
                row("first step", "%.2f s: a %d-token prefill right after loading (first touch of every decoder"
                        + " weight)", seconds(start), DECODE_PROMPT);
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
        for (int threads : options.threads) {
            JniUtils.setNumThreads(threads);
            for (boolean split : new boolean[] {true, false}) {
                try (BatchDecoder decoder = new BatchDecoder(model, manager, DataType.FLOAT32, split)) {
                    decode(decoder, random, threads, split);
                }
            }
        }
        JniUtils.setNumThreads(options.threads.get(0));
    }

    private void decode(BatchDecoder decoder, Random random, int threads, boolean split) {
        try (DecoderSession session = session(decoder, randomTokens(random, DECODE_PROMPT))) {
            int token = argmax(session.nextLogProbs());
            for (int i = 0; i < WARM_UP_TOKENS; i++) {
                session.append(token);
                token = argmax(session.nextLogProbs());
            }
            long decode = System.nanoTime();
            for (int i = 0; i < options.tokens; i++) {
                session.append(token);
                token = argmax(session.nextLogProbs());
            }
            double s = seconds(decode);
            row("decode", "%d threads%s: %d greedy tokens in %.2f s = %.2f tokens/s (%.0f ms/token)", threads,
                    split ? ", large matmuls split over 2 cores" : "", options.tokens, s, options.tokens / s,
                    1000 * s / options.tokens);
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
        row("image", "448x448 PNG, %d tile: preprocess %.0f ms, encode %.2f s (%d image tokens)", one.size(),
                1000 * preprocess, seconds(encode), one.size() * encoder.tokensPerTile());
        ImageInput wide = TestPattern.png(3 * InternVl2_5OneB.IMAGE, 2 * InternVl2_5OneB.IMAGE);
        start = System.nanoTime();
        List<PixelValues> tiles = processor.process(wide);
        preprocess = seconds(start);
        encode = System.nanoTime();
        encoder.encodeToFloats(tiles);
        row("image", "1344x896 PNG, 6 tiles + thumbnail: preprocess %.0f ms, encode %.2f s (%d image tokens)",
                1000 * preprocess, seconds(encode), tiles.size() * encoder.tokensPerTile());
    }

    private void summary(long checkpointBytes, long textPeak) {
        ProcessMemory end = ProcessMemory.now();
        row("peak RSS", "%.2f GB = %.2fx the checkpoint (decoder phases only: %.2f GB = %.2fx); target <= 1.3x",
                ProcessMemory.gb(end.peakResident()), (double) end.peakResident() / checkpointBytes,
                ProcessMemory.gb(textPeak), (double) textPeak / checkpointBytes);
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

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
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
            return files.filter(f -> f.getFileName().toString().endsWith(".safetensors")).sorted().toList();
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

    private record Options(Path dir, boolean keep, int tokens, List<Integer> threads, long seed,
            WeightLoading weights, boolean skipVision) {

        static Options parse(String[] args) {
            Path dir = null;
            boolean keep = false;
            int tokens = 64;
            List<Integer> threads = List.of();
            long seed = 1;
            WeightLoading weights = WeightLoading.MMAP;
            boolean skipVision = false;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--dir" -> dir = Path.of(value(args, ++i));
                    case "--keep" -> keep = true;
                    case "--tokens" -> tokens = Integer.parseInt(value(args, ++i));
                    case "--threads" -> threads = Stream.of(value(args, ++i).split(",")).map(String::trim)
                            .map(Integer::valueOf).toList();
                    case "--seed" -> seed = Long.parseLong(value(args, ++i));
                    case "--weights" -> weights = WeightLoading.valueOf(value(args, ++i).toUpperCase(Locale.ROOT));
                    case "--skip-vision" -> skipVision = true;
                    default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--dir DIR,"
                            + " --keep, --tokens N, --threads 1,2, --seed S, --weights mmap|read, --skip-vision)");
                }
            }
            if (tokens < 1 || threads.stream().anyMatch(t -> t < 1)) {
                throw new IllegalArgumentException("--tokens and --threads must be positive");
            }
            return new Options(dir, keep, tokens, threads, seed, weights, skipVision);
        }

        Options withThreads(List<Integer> list) {
            return new Options(dir, keep, tokens, list, seed, weights, skipVision);
        }

        private static String value(String[] args, int i) {
            if (i >= args.length) {
                throw new IllegalArgumentException(args[i - 1] + " needs a value");
            }
            return args[i];
        }
    }
}
