package io.tributary.tools.bench;

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
import io.tributary.model.llama.LlamaConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.ObjectMapper;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@link WeightLoading#MMAP} against {@link WeightLoading#READ} in one process, on the decoder of the
 * {@link RealShapeBenchmark} checkpoint: the load time of each, then greedy decoding from each in alternating
 * rounds, so both see the same machine and the ratio means something on a shared host.
 *
 * <pre>
 * java -jar tools/target/tributary-0.1.0-SNAPSHOT.jar bench weight-loading --dir DIR [--tokens 32] [--rounds 5]
 * </pre>
 */
@Command(
        name = "weight-loading",
        mixinStandardHelpOptions = true,
        description = "Weights mapped against weights read: the load time of each, then the decoding speed of"
                + " each in alternating rounds, on the real-shape checkpoint's decoder.")
public final class WeightLoadingBenchmark implements Callable<Integer> {

    private static final int WARM_UP_TOKENS = 4;
    private static final long SEED = 1;

    @Option(
            names = "--dir",
            required = true,
            paramLabel = "DIR",
            description = "The real-shape checkpoint (written first if absent or incomplete).")
    Path dir;

    @Option(
            names = "--tokens",
            defaultValue = "32",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Tokens decoded per round (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(
            names = "--rounds",
            defaultValue = "5",
            converter = PositiveInteger.class,
            paramLabel = "R",
            description = "Rounds per mode (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Override
    public Integer call() throws Exception {
        if (!RealShapeCheckpoint.isComplete(dir, SEED)) {
            RealShapeCheckpoint.write(dir, SEED);
        }
        System.setProperty("ai.djl.pytorch.num_threads", "1");
        NativeTarget.prepareInferenceThread();
        JniUtils.setNumThreads(1);
        LlamaConfig config = LlamaConfig.fromJson(
                new ObjectMapper().readTree(dir.resolve("config.json").toFile()).get("llm_config"));

        Map<WeightLoading, LlamaModel> models = new EnumMap<>(WeightLoading.class);
        Map<WeightLoading, NDManager> managers = new EnumMap<>(WeightLoading.class);
        Map<WeightLoading, List<Double>> msPerToken = new EnumMap<>(WeightLoading.class);
        List<String> table = new ArrayList<>();
        try {
            for (WeightLoading loading : WeightLoading.values()) {
                CheckpointTensors tensors = CheckpointTensors.open(dir, loading);
                long bytes = LlamaModel.expectedShapes(tensors, config).keySet().stream()
                        .mapToLong(name -> tensors.find(name).orElseThrow().byteLength())
                        .sum();
                NDManager manager =
                        NativeTarget.newModelManager(LoadOptions.cpu().withWeightLoading(loading), "bench-" + loading);
                managers.put(loading, manager);
                long start = System.nanoTime();
                models.put(loading, LlamaModel.load(tensors, config, manager, DataType.FLOAT32));
                double seconds = (System.nanoTime() - start) / 1e9;
                table.add(String.format(
                        "load    %-4s decoder %.2f GB in %.2f s = %.2f GB/s",
                        name(loading), bytes / 1e9, seconds, bytes / 1e9 / seconds));
                msPerToken.put(loading, new ArrayList<>());
            }
            for (int round = 0; round < rounds; round++) {
                for (WeightLoading loading : WeightLoading.values()) {
                    msPerToken.get(loading).add(decode(models.get(loading), managers.get(loading), tokens));
                }
            }
        } finally {
            managers.values().forEach(NDManager::close);
        }
        for (WeightLoading loading : WeightLoading.values()) {
            List<Double> ms = msPerToken.get(loading);
            table.add(String.format(
                    "decode  %-4s median %.0f ms/token = %.2f tokens/s (rounds: %s)",
                    name(loading),
                    Benchmarks.median(ms),
                    1000 / Benchmarks.median(ms),
                    ms.stream().map(m -> String.format("%.0f", m)).toList()));
        }
        table.add(String.format(
                "ratio   decode read/mmap speed %.2fx",
                Benchmarks.median(msPerToken.get(WeightLoading.MMAP))
                        / Benchmarks.median(msPerToken.get(WeightLoading.READ))));
        System.out.println();
        System.out.println("WeightLoadingBenchmark: the Qwen2.5-0.5B-shaped decoder of " + dir + ", float32, 1 thread, "
                + tokens + " tokens a round, modes alternating");
        table.forEach(System.out::println);
        return 0;
    }

    private static double decode(LlamaModel model, NDManager manager, int tokens) {
        int[] prompt = {1, 2, 3, 4, 5, 6, 7, 8};
        try (BatchDecoder decoder = Benchmarks.computingEverything(new BatchDecoder(model, manager, DataType.FLOAT32));
                DecoderSession session = decoder.open(DecoderPrompt.text(prompt))) {
            session.nextLogProbs();
            for (int i = 0; i < WARM_UP_TOKENS; i++) {
                session.append(100 + i);
                session.nextLogProbs();
            }
            long start = System.nanoTime();
            for (int i = 0; i < tokens; i++) {
                session.append(200 + i); // the logits are not needed: a fixed continuation costs the same
                session.nextLogProbs();
            }
            return (System.nanoTime() - start) / 1e6 / tokens;
        }
    }

    private static String name(WeightLoading loading) {
        return loading.name().toLowerCase(Locale.ROOT);
    }
}
