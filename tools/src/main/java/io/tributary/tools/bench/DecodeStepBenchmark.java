package io.tributary.tools.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.decoder.BatchDecoder;
import io.tributary.model.decoder.DecoderPrompt;
import io.tributary.model.decoder.DecoderSession;
import io.tributary.model.decoder.LlamaModel;
import io.tributary.model.kernel.WeightPacker;
import io.tributary.model.llama.LlamaConfig;
import io.tributary.model.tiny.TinyCheckpoints;
import io.tributary.model.tiny.TinyLlamaSpec;
import io.tributary.routing.BatchEntry;
import io.tributary.routing.ExpertBatch;
import io.tributary.tools.WeightOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Where a batched decode step's time goes. On one decoder checkpoint (a Llama or Qwen2 directory; by default the
 * small text experts the serving benchmark uses), as the server runs it (one intra-op thread, large weights split
 * over two cores), B sequences of about {@code --context} positions decode together: the median step time and
 * tokens/s per batch size, then one step under PyTorch's profiler, split into products by a weight, attention
 * products, other ops and the time between ops (JNI dispatch, Java, waiting for the row split's second thread), and
 * the weight products by shape with the bandwidth each reached. Last, the time of a step that also runs one
 * {@code --chunk}-position chunk of a long prompt (the server's default step budget of 256 positions, less 16
 * decodes), as when a prefill arrives under load.
 *
 * <pre>
 * java -jar tools/target/tributary-0.1.0-SNAPSHOT.jar bench decode-step [--checkpoint DIR] [--batches 1,4,16]
 *     [--steps 30] [--context 64] [--chunk 240]
 * </pre>
 */
@Command(
        name = "decode-step",
        mixinStandardHelpOptions = true,
        description = "Where a batched decode step's time goes: step time per batch size, a profiled step split"
                + " by kind of op, and a step that also runs a prompt chunk.")
public final class DecodeStepBenchmark implements Callable<Integer> {

    private static final int WARM_UP_STEPS = 3;
    private static final long JIT_WARM_UP_NANOS = 3_000_000_000L;
    private static final int JIT_WARM_UP_BATCH = 4;
    private static final int SHAPES_SHOWN = 4;

    @Option(
            names = "--checkpoint",
            paramLabel = "DIR",
            description = "A Llama or Qwen2 checkpoint directory (default: a small text expert, written for the run).")
    Path checkpoint;

    @Option(
            names = "--batches",
            split = ",",
            defaultValue = "1,4,16",
            converter = PositiveInteger.class,
            paramLabel = "B",
            description = "Batch sizes, one row each (default: ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(
            names = "--steps",
            defaultValue = "30",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Timed decode steps per batch size (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(
            names = "--context",
            defaultValue = "64",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Positions in each sequence before the timed steps (default: ${DEFAULT-VALUE}).")
    int context;

    @Option(
            names = "--chunk",
            defaultValue = "240",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Positions of the prompt chunk run with the decodes (default: ${DEFAULT-VALUE}).")
    int chunk;

    @Mixin
    WeightOptions weights;

    @Option(
            names = "--threads",
            defaultValue = "1",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "PyTorch intra-op threads, as tributary.engine.threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(
            names = "--op-by-op",
            description = "Run decode steps op by op even where a layer could run in one call (packed weights),"
                    + " to compare the two.")
    boolean opByOp;

    @Override
    public Integer call() throws IOException {
        Path written = null;
        if (checkpoint == null) {
            written = Files.createTempDirectory("tributary-decode-step");
            TinyCheckpoints.writeLlama(written, TinyLlamaSpec.small(), 20260101L);
        }
        try {
            String name = checkpoint == null ? "small text expert" : checkpoint.toString();
            LoadOptions options = weights.applyTo(LoadOptions.cpu());
            run(checkpoint == null ? written : checkpoint, name, options);
        } finally {
            if (written != null) {
                try (var files = Files.walk(written)) {
                    files.sorted(Comparator.reverseOrder())
                            .forEach(path -> path.toFile().delete());
                }
            }
        }
        return 0;
    }

    private void run(Path dir, String name, LoadOptions options) throws IOException {
        NativeTarget.setIntraOpThreads(threads); // the server's default is 1 (tributary.engine.threads)
        NativeTarget.prepareInferenceThread();
        LlamaConfig config = LlamaConfig.read(dir.resolve("config.json"));
        DataType type = NativeTarget.dataType(options);
        List<String> table = new ArrayList<>();
        List<String> shapes = new ArrayList<>();
        List<String> chunks = new ArrayList<>();
        boolean fusedSteps;
        try (NDManager manager = NativeTarget.newModelManager(options, "decode-step")) {
            WeightPacker packer = WeightPacker.of(options, manager);
            LlamaModel model = LlamaModel.load(
                    CheckpointTensors.open(dir, options.weightLoading()), config, manager, type, packer);
            try (BatchDecoder decoder =
                    Benchmarks.computingEverything(new BatchDecoder(model, manager, type, true, !opByOp))) {
                fusedSteps = decoder.decodesFused();
                warmUp(decoder, config, context);
                double firstThroughput = Double.NaN;
                for (int batch : batches) {
                    Measured measured = measure(decoder, config, batch, steps, context, chunk);
                    double throughput = batch * 1000 / measured.stepMillis();
                    if (Double.isNaN(firstThroughput)) {
                        firstThroughput = throughput;
                    }
                    StepBreakdown b = measured.breakdown();
                    table.add(String.format(
                            "%5d %9.2f %10.1f %7.2fx %9.2f %9.2f %10.2f %8.2f %8.2f %6d",
                            batch,
                            measured.stepMillis(),
                            throughput,
                            throughput / firstThroughput,
                            b.spanMicros() / 1e3,
                            b.linearMicros() / 1e3,
                            b.attentionMicros() / 1e3,
                            b.otherMicros() / 1e3,
                            b.betweenMicros() / 1e3,
                            b.ops()));
                    chunks.add(String.format(
                            "%5d %14.2f %15.2f", batch, measured.chunkStepMillis(), measured.firstChunkMillis()));
                    for (StepBreakdown.Linear linear :
                            b.linears().stream().limit(SHAPES_SHOWN).toList()) {
                        shapes.add(String.format(
                                "%5d   [%d, %d] x [%d, %d]: %d calls, %.3f ms each, %.1f GB/s",
                                batch,
                                linear.rows(),
                                linear.in(),
                                linear.in(),
                                linear.out(),
                                linear.calls(),
                                linear.micros() / linear.calls() / 1e3,
                                linear.gigabytesPerSecond(weights.bytesPerWeight())));
                    }
                }
            }
        }
        System.out.println();
        System.out.println(
                "DecodeStepBenchmark: " + name + ", weights " + weights.label()
                        + (fusedSteps ? " (decode steps a layer a call)" : " (decode steps op by op)") + ", "
                        + threads
                        + " intra-op thread(s), ~" + context + " positions a sequence, median"
                        + " of " + steps
                        + " steps; profiled = one more step under PyTorch's profiler (it adds a few µs an op),"
                        + " in ms; between = time between its ops (JNI dispatch, Java, waiting for the row split's second thread)");
        System.out.println(
                "batch   step ms   tokens/s   ratio  profiled    linear  attention    other  between    ops");
        table.forEach(System.out::println);
        System.out.println("batch + one " + chunk + "-position prompt chunk: chunk step ms (median), first chunk ms"
                + " (it grows the KV cache to the prompt's length)");
        chunks.forEach(System.out::println);
        System.out.println("batch   heaviest weight products in the profiled step (per thread: the row split halves"
                + " weights over 2 MB)");
        shapes.forEach(System.out::println);
    }

    private record Measured(
            double stepMillis, double chunkStepMillis, double firstChunkMillis, StepBreakdown breakdown) {}

    private static Measured measure(
            BatchDecoder decoder, LlamaConfig config, int batch, int steps, int context, int chunk) throws IOException {
        List<DecoderSession> sessions = new ArrayList<>();
        try {
            for (int s = 0; s < batch; s++) {
                // Ragged lengths, as in a running batch.
                DecoderSession session = decoder.open(prompt(config, context + s % 8, s));
                session.nextLogProbs(); // the prefill, alone
                sessions.add(session);
            }
            int step = 0;
            for (; step < WARM_UP_STEPS; step++) {
                decoder.forward(nextTokens(sessions, step));
            }
            double[] millis = new double[steps];
            for (int timed = 0; timed < steps; timed++, step++) {
                long start = System.nanoTime();
                decoder.forward(nextTokens(sessions, step));
                millis[timed] = (System.nanoTime() - start) / 1e6;
            }
            Arrays.sort(millis);
            double[] chunkMillis = chunkSteps(decoder, config, sessions, steps, chunk);
            Path trace = Files.createTempFile("tributary-step", ".json");
            try {
                ExpertBatch profiled = nextTokens(sessions, step);
                JniUtils.startProfile(false, true, false);
                decoder.forward(profiled);
                JniUtils.stopProfile(trace.toString());
                StepBreakdown breakdown = StepBreakdown.of(new ObjectMapper().readTree(trace.toFile()));
                return new Measured(millis[steps / 2], chunkMillis[0], chunkMillis[1], breakdown);
            } finally {
                Files.deleteIfExists(trace);
            }
        } finally {
            sessions.forEach(DecoderSession::close);
        }
    }

    /**
     * Decodes for a few seconds on sessions then closed, so that the Java around every op is compiled before the
     * first timed step (a small expert's one-row step takes about twice as long before that) and the timed
     * sequences start at {@code context} positions.
     */
    private static void warmUp(BatchDecoder decoder, LlamaConfig config, int context) {
        long start = System.nanoTime();
        while (System.nanoTime() - start < JIT_WARM_UP_NANOS) {
            List<DecoderSession> sessions = new ArrayList<>();
            try {
                for (int s = 0; s < JIT_WARM_UP_BATCH; s++) {
                    DecoderSession session = decoder.open(prompt(config, context, s));
                    session.nextLogProbs();
                    sessions.add(session);
                }
                for (int step = 0; step < 32 && System.nanoTime() - start < JIT_WARM_UP_NANOS; step++) {
                    decoder.forward(nextTokens(sessions.subList(0, 1 + step % JIT_WARM_UP_BATCH), step));
                }
            } finally {
                sessions.forEach(DecoderSession::close);
            }
        }
    }

    /**
     * Steps that run the sessions' next tokens and one chunk of a long prompt, as a prefill arriving under load
     * does: {median of the chunk steps after each prompt's first, the very first chunk step}. The first grows the
     * KV cache to the whole prompt's length. A third as many chunk steps as decode steps are timed (at least 5):
     * on a large model each runs for seconds.
     */
    private static double[] chunkSteps(
            BatchDecoder decoder, LlamaConfig config, List<DecoderSession> sessions, int decodeSteps, int chunk) {
        int steps = Math.max(5, decodeSteps / 3);
        int chunksPerPrompt = Math.max(2, Math.min(6, (config.maxPositionEmbeddings() - 1) / chunk));
        List<Double> later = new ArrayList<>();
        double first = Double.NaN;
        int step = 0;
        while (later.size() < steps) {
            try (DecoderSession longPrompt = decoder.open(prompt(config, chunk * chunksPerPrompt, -1))) {
                for (int c = 0; c < chunksPerPrompt; c++, step++) {
                    List<BatchEntry> entries =
                            new ArrayList<>(nextTokens(sessions, step).entries());
                    entries.add(new BatchEntry(longPrompt, chunk, false));
                    long start = System.nanoTime();
                    decoder.forward(new ExpertBatch(entries));
                    double millis = (System.nanoTime() - start) / 1e6;
                    if (Double.isNaN(first)) {
                        first = millis;
                    } else if (c > 0) {
                        later.add(millis);
                    }
                }
            }
        }
        return new double[] {later.stream().sorted().toList().get(later.size() / 2), first};
    }

    private static DecoderPrompt prompt(LlamaConfig config, int length, int seed) {
        int[] tokens = new int[length];
        for (int i = 0; i < length; i++) {
            tokens[i] = 1 + Math.floorMod(i * 31 + seed * 7, config.vocabSize() - 1);
        }
        return DecoderPrompt.text(tokens);
    }

    /** Every session's next token (a fixed continuation: the logits are not needed to time a step). */
    private static ExpertBatch nextTokens(List<DecoderSession> sessions, int step) {
        List<BatchEntry> entries = new ArrayList<>(sessions.size());
        for (DecoderSession session : sessions) {
            session.append(2 + step % 97);
            entries.add(new BatchEntry(session, 1, false));
        }
        return new ExpertBatch(entries);
    }
}
