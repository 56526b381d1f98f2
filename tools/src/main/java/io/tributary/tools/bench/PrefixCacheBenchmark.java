package io.tributary.tools.bench;

import io.tributary.model.ExpertLoader;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.decoder.BatchDecoder;
import io.tributary.model.decoder.DecoderExpert;
import io.tributary.model.decoder.KvCacheSettings;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;
import io.tributary.tools.clustering.Cosine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * Time to first token with prefix reuse against the same expert reusing nothing, in one process (no HTTP): a chat's
 * second turn after a long first one, on a text checkpoint, and a second question about the same image, on a LLaVA
 * checkpoint (the embedded default's experts, for instance). Each round starts from an empty prefix cache; the two
 * experts alternate. A first round warms up and is not counted.
 *
 * <pre>
 * java -jar tools/target/tributary-0.1.0-SNAPSHOT.jar bench prefix-cache --checkpoint DIR [--llava DIR]
 *     [--served JAR] [--turn 1000] [--answer 32] [--rounds 3]
 * </pre>
 */
@Command(
        name = "prefix-cache",
        mixinStandardHelpOptions = true,
        description = "Time to first token with and without prefix reuse: a chat's next turn, and a second question"
                + " about the same image.")
public final class PrefixCacheBenchmark implements Callable<Integer> {

    @Option(names = "--checkpoint", paramLabel = "DIR", description = "A Llama or Qwen2 checkpoint: the chat rows.")
    Path checkpoint;

    @Option(names = "--llava", paramLabel = "DIR", description = "A LLaVA checkpoint: the image rows.")
    Path llava;

    @Option(
            names = "--turn",
            defaultValue = "1000",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Tokens of the chat's first turn (default: ${DEFAULT-VALUE}).")
    int turn;

    @Option(
            names = "--answer",
            defaultValue = "32",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Tokens of the first turn's answer (default: ${DEFAULT-VALUE}).")
    int answer;

    @Option(
            names = "--served",
            paramLabel = "JAR",
            description = "The server jar: also the same image question again end to end, over HTTP, on the"
                    + " jar's embedded default mixture (four experts; rounds x 10).")
    Path served;

    @Option(
            names = "--rounds",
            defaultValue = "3",
            converter = PositiveInteger.class,
            paramLabel = "R",
            description = "Rounds; the table shows medians (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Override
    public Integer call() throws IOException {
        NativeTarget.setIntraOpThreads(1); // the server's default (tributary.engine.threads)
        NativeTarget.prepareInferenceThread();
        System.out.printf(
                "%nPrefixCacheBenchmark: time to first token, ms, median of %d rounds; first = the first request"
                        + " (turn 1, or the first question), on an empty cache; reused = the case's request on the same"
                        + " expert after it; ratio = reused / first; computed = the case's request on an expert that"
                        + " reuses nothing%n",
                rounds);
        System.out.println("case                                  positions  from cache  first ms  reused ms  ratio"
                + "  computed ms");
        if (checkpoint != null) {
            chat();
        }
        if (llava != null) {
            image();
        }
        if (served != null) {
            new ServedImageQuestions(served, rounds * 10).run();
        }
        return 0;
    }

    /** Turn 1: {@code turn} tokens; turn 2: turn 1, its answer and 16 more tokens. */
    private void chat() {
        try (Expert reusing = load(checkpoint, KvCacheSettings.DEFAULT);
                Expert computing = load(checkpoint, Benchmarks.NO_PREFIX_REUSE)) {
            int vocabulary = vocabulary(reusing);
            Random random = new Random(7);
            int[] first = random.ints(turn, 0, vocabulary).toArray();
            Row row = new Row();
            for (int round = 0; round <= rounds; round++) {
                if (round == 1) {
                    row.clear(); // the warm-up round
                }
                decoder(reusing).resetPrefixCache();
                long started = System.nanoTime();
                int[] reply;
                try (ExpertSession session = reusing.open(Prompt.ofTokens(first))) {
                    float[] next = session.nextLogProbs();
                    row.first.add(millisSince(started));
                    reply = greedy(session, next, answer);
                }
                int[] second =
                        concat(first, reply, random.ints(16, 0, vocabulary).toArray());
                row.measure(reusing, computing, Prompt.ofTokens(second));
            }
            row.print("chat turn 2 after a " + turn + "-token turn 1");
        }
    }

    /** A question about an image, then another question about it, and the first question again. */
    private void image() throws IOException {
        int placeholder = imageTokenIndex(llava);
        ImageInput picture = picture();
        try (Expert reusing = load(llava, KvCacheSettings.DEFAULT);
                Expert computing = load(llava, Benchmarks.NO_PREFIX_REUSE)) {
            int vocabulary = vocabulary(reusing);
            Random random = new Random(11);
            int[] question =
                    random.ints(12, 3, Math.min(vocabulary, placeholder)).toArray();
            int[] other = random.ints(12, 3, Math.min(vocabulary, placeholder)).toArray();
            Row same = new Row();
            Row different = new Row();
            for (int round = 0; round <= rounds; round++) {
                if (round == 1) {
                    same.clear(); // the warm-up round
                    different.clear();
                }
                Prompt asked = new Prompt(concat(new int[] {1, placeholder}, question), List.of(picture));
                decoder(reusing).resetPrefixCache();
                long started = System.nanoTime();
                try (ExpertSession session = reusing.open(asked)) {
                    session.nextLogProbs();
                    double millis = millisSince(started);
                    same.first.add(millis);
                    different.first.add(millis);
                }
                same.measure(reusing, computing, asked);
                decoder(reusing).resetPrefixCache();
                try (ExpertSession session = reusing.open(asked)) {
                    session.nextLogProbs();
                }
                different.measure(
                        reusing, computing, new Prompt(concat(new int[] {1, placeholder}, other), List.of(picture)));
            }
            same.print("the same image question again");
            different.print("another question, same image");
        }
    }

    /** Times to first token of one case. */
    private static final class Row {
        final List<Double> first = new ArrayList<>();
        final List<Double> reused = new ArrayList<>();
        final List<Double> computed = new ArrayList<>();
        int positions;
        int fromCache;

        void clear() {
            first.clear();
            reused.clear();
            computed.clear();
        }

        void measure(Expert reusing, Expert computing, Prompt prompt) {
            long started = System.nanoTime();
            try (ExpertSession session = reusing.open(prompt)) {
                session.nextLogProbs();
                reused.add(millisSince(started));
                fromCache = session.cachedPromptPositions();
                positions = session.length();
            }
            started = System.nanoTime();
            try (ExpertSession session = computing.open(prompt)) {
                session.nextLogProbs();
                computed.add(millisSince(started));
            }
        }

        void print(String name) {
            System.out.printf(
                    Locale.ROOT,
                    "%-38s %9d %11d %9.1f %10.1f %6.2f %12.1f%n",
                    name,
                    positions,
                    fromCache,
                    Benchmarks.median(first),
                    Benchmarks.median(reused),
                    Benchmarks.median(reused) / Benchmarks.median(first),
                    Benchmarks.median(computed));
        }
    }

    private static Expert load(Path dir, KvCacheSettings settings) {
        Expert expert =
                ExpertLoader.withBuiltInFamilies().load(dir.getFileName().toString(), dir, LoadOptions.cpu());
        decoder(expert).configure(settings);
        return expert;
    }

    private static BatchDecoder decoder(Expert expert) {
        if (!(expert instanceof DecoderExpert decoder)) {
            throw new IllegalArgumentException(expert.name() + " is not a decoder expert");
        }
        return decoder.batchDecoder();
    }

    private static int vocabulary(Expert expert) {
        try (ExpertSession probe = expert.open(Prompt.ofTokens(new int[] {1}))) {
            return probe.nextLogProbs().length;
        }
    }

    /** A greedy answer of {@code tokens} tokens, the first chosen from {@code next}. */
    private static int[] greedy(ExpertSession session, float[] next, int tokens) {
        int[] reply = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            reply[t] = Cosine.argmax(t == 0 ? next : session.nextLogProbs());
            session.append(reply[t]);
        }
        return reply;
    }

    private static int imageTokenIndex(Path dir) throws IOException {
        JsonNode config =
                JsonMapper.builder().build().readTree(dir.resolve("config.json").toFile());
        JsonNode index = config.get("image_token_index");
        if (index == null) {
            throw new IllegalArgumentException(
                    dir + " is not a LLaVA checkpoint: its config.json has no" + " image_token_index");
        }
        return index.asInt();
    }

    private static ImageInput picture() throws IOException {
        return picture(3);
    }

    /** A 96 x 96 PNG of coloured noise, one per seed. */
    static ImageInput picture(long seed) throws IOException {
        BufferedImage image = new BufferedImage(96, 96, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(seed);
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            ImageIO.write(image, "png", out);
            return new ImageInput(out.toByteArray(), "image/png");
        }
    }

    private static int[] concat(int[]... parts) {
        int[] all = new int[0];
        for (int[] part : parts) {
            int from = all.length;
            all = Arrays.copyOf(all, from + part.length);
            System.arraycopy(part, 0, all, from, part.length);
        }
        return all;
    }

    private static double millisSince(long started) {
        return (System.nanoTime() - started) / 1e6;
    }
}
