package io.tributary.tools.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.tributary.model.ExpertLoader;
import io.tributary.model.ImageProcessorFactory;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.tiny.TinyLlava;
import io.tributary.model.tiny.TinyLlavaSpec;
import io.tributary.model.vision.VisionTowers;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * What sharing a frozen CLIP tower saves: K LLaVA experts around one tower read a request's image, either each
 * with its own copy of the tower (K encodes) or through one shared tower and encoder cache (1 encode). Times the
 * prompt prefill of all K experts (where images are encoded) for a fresh image each run. Prints a table.
 *
 * <pre>
 * java -Dai.djl.pytorch.num_threads=1 -jar tools/target/tributary-0.1.0-SNAPSHOT.jar bench shared-encoder
 *     [--runs 7] [--cache DIR]
 * </pre>
 */
@Command(
        name = "shared-encoder",
        mixinStandardHelpOptions = true,
        description = "What sharing a frozen CLIP tower saves: the prefill of K LLaVA experts reading one new image,"
                + " each with its own tower or all through one shared tower.")
public final class SharedEncoderBenchmark implements Callable<Integer> {

    /** A ViT-S/16-sized tower at 224 px (196 patches) before a small decoder: encoding dominates the prefill. */
    private static final TinyLlavaSpec SPEC = new TinyLlavaSpec(
            256, 2, 8, 4, 704, 2048, 224, 16, 384, 6, 6, 1536, 256, -2, false, SafetensorsDType.F32, false);

    private static final int IMAGE_TOKEN = TinyLlavaSpec.IMAGE_TOKEN_ID;

    @Option(
            names = "--runs",
            defaultValue = "7",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Timed runs per K; the table shows medians (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(
            names = "--cache",
            defaultValue = "${sys:user.home}/.cache/tributary",
            paramLabel = "DIR",
            description = "Where the LLaVA experts are written once and reused (default: ${DEFAULT-VALUE}).")
    Path cacheRoot;

    @Override
    public Integer call() throws Exception {
        Path cache = cacheRoot.resolve("benchmark-llava-v1");
        System.setProperty("ai.djl.offline", "true");
        ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN); // the table only
        NativeTarget.prepareInferenceThread();
        for (int k = 0; k < 4; k++) {
            if (!Files.isDirectory(cache.resolve("expert-" + k))) {
                TinyLlava.write(cache.resolve("expert-" + k), SPEC, k + 1, 100); // own decoder, one shared tower
            }
        }
        System.out.printf(
                "Prefill of a prompt with one new 320x240 image, K LLaVA experts (ViT-S/16 tower, 224 px),"
                        + " median of %d runs, %d cores%n%n",
                runs, Runtime.getRuntime().availableProcessors());
        System.out.printf("%-4s %16s %16s %10s %12s%n", "K", "own towers ms", "shared tower ms", "saving", "encodes");
        int seed = 0;
        long digestMillis = 0;
        for (int k : new int[] {1, 2, 4}) {
            double own;
            double shared;
            long encodes;
            long digest;
            try (VisionTowers towers = new VisionTowers()) {
                List<Expert> separate = load(cache, k, null);
                List<Expert> sharing = load(cache, k, towers);
                try {
                    for (int i = 0; i < 2; i++) { // warm-up
                        prefill(separate, image(seed++));
                        prefill(sharing, image(seed++));
                    }
                    long before = towers.encodes();
                    double[] ownTimes = new double[runs];
                    double[] sharedTimes = new double[runs];
                    for (int run = 0; run < runs; run++) {
                        ownTimes[run] = prefill(separate, image(seed++));
                        sharedTimes[run] = prefill(sharing, image(seed++));
                    }
                    encodes = towers.encodes() - before;
                    digest = towers.digestMillis();
                    own = median(ownTimes);
                    shared = median(sharedTimes);
                } finally {
                    separate.forEach(Expert::close);
                    sharing.forEach(Expert::close);
                }
            }
            System.out.printf(
                    "%-4d %16.1f %16.1f %9.2fx %12s%n",
                    k, own, shared, own / shared, (encodes / (double) runs) + " / image");
            digestMillis = digest;
        }
        long towerBytes = 4L
                * (SPEC.visionLayers()
                        * (4L * SPEC.visionHidden() * SPEC.visionHidden()
                                + 2L * SPEC.visionHidden() * SPEC.visionIntermediate()));
        System.out.printf(
                "%nIdentity by content: hashing 4 experts' towers (~%d MB each) took %d ms in all%n",
                towerBytes >> 20, digestMillis);
        return 0;
    }

    private static List<Expert> load(Path cache, int k, VisionTowers towers) {
        ExpertLoader loader = ExpertLoader.withBuiltInFamilies(ImageProcessorFactory.DEFAULT, towers);
        List<Expert> experts = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            experts.add(Benchmarks.computingEverything(
                    loader.load("expert-" + i, cache.resolve("expert-" + i), LoadOptions.cpu())));
        }
        return experts;
    }

    /** Milliseconds for every expert to read the prompt (the image is encoded inside the prefill). */
    private static double prefill(List<Expert> experts, ImageInput image) {
        Prompt prompt = new Prompt(new int[] {1, 300, IMAGE_TOKEN, 301, 302}, List.of(image));
        long start = System.nanoTime();
        for (Expert expert : experts) {
            try (ExpertSession session = expert.open(prompt)) {
                session.nextLogProbs();
            }
        }
        return (System.nanoTime() - start) / 1e6;
    }

    private static ImageInput image(int seed) throws Exception {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(320, 240, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(image, "png", bytes);
        return new ImageInput(bytes.toByteArray(), "image/png");
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
