package io.tributary.tools.bench;

import io.tributary.model.ExpertLoader;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.decoder.DecoderExpert;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import io.tributary.tools.clustering.Cosine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/**
 * The memory a mixture of K experts takes in each weight format: for each format a fresh process loads K copies of
 * one checkpoint and decodes a few tokens with each, and reports its peak resident set (Linux's {@code VmHWM}: loading
 * included) and its resident set at the end. A fresh process per format, because a process's peak never comes down.
 * float32 reads its weights into memory of its own ({@code weights: read}), so that K copies cost what K distinct
 * checkpoints would (mapped copies of one file would share their pages); the packed formats read and pack a block of
 * rows at a time whatever the setting.
 *
 * <pre>
 * java -jar tools/target/tributary-0.1.0-SNAPSHOT.jar bench mixture-memory --checkpoint DIR [--experts 4]
 *     [--formats fp32,bf16,int8,int4] [--group-size 32]
 * </pre>
 */
@Command(
        name = "mixture-memory",
        mixinStandardHelpOptions = true,
        description = "Peak and final resident memory of a K-expert mixture in fp32, bf16, int8 and int4, one process"
                + " per format.")
public final class MixtureMemoryBenchmark implements Callable<Integer> {

    private static final String RESULT = "mixture-memory-result";
    private static final int PROMPT_TOKENS = 16;
    private static final int DECODED_TOKENS = 8;

    @Option(
            names = "--checkpoint",
            required = true,
            paramLabel = "DIR",
            description = "A Llama, Qwen2, LLaVA or InternVL checkpoint directory, loaded K times.")
    Path checkpoint;

    @Option(
            names = "--experts",
            defaultValue = "4",
            converter = PositiveInteger.class,
            paramLabel = "K",
            description = "Experts in the mixture (default: ${DEFAULT-VALUE}).")
    int experts;

    @Option(
            names = "--formats",
            split = ",",
            defaultValue = "fp32,bf16,int8,int4",
            paramLabel = "F",
            description = "Formats, one process each; the first is the reference of the ratios"
                    + " (default: ${DEFAULT-VALUE}).")
    List<String> formats;

    @Option(
            names = "--group-size",
            defaultValue = "32",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Input features per int4 scale (default: ${DEFAULT-VALUE}).")
    int groupSize;

    @Option(
            names = "--jar",
            defaultValue = "${sys:java.class.path}",
            paramLabel = "JAR",
            description = "The jar the measuring processes run (default: this jar).")
    Path jar;

    @Option(names = "--child", hidden = true, paramLabel = "FORMAT")
    String child;

    @Override
    public Integer call() throws Exception {
        if (child != null) {
            measureHere(child);
            return 0;
        }
        Map<String, String[]> results = new LinkedHashMap<>();
        for (String format : formats) {
            results.put(format, inChildProcess(format));
        }
        System.out.printf(
                "%nMixtureMemoryBenchmark: %d copies of %s, each decoding %d tokens after a %d-token prompt; one"
                        + " process per format%n",
                experts, checkpoint, DECODED_TOKENS, PROMPT_TOKENS);
        System.out.println("format  weights GB  peak RSS GB  x first  RSS loaded GB  RSS at end GB  load s");
        double reference = Double.NaN;
        for (Map.Entry<String, String[]> result : results.entrySet()) {
            String[] values = result.getValue(); // held, peak, final, seconds, after load
            double peak = Double.parseDouble(values[1]);
            if (Double.isNaN(reference)) {
                reference = peak;
            }
            System.out.printf(
                    Locale.ROOT,
                    "%-6s %11.2f %12.2f %8.2f %14.2f %14.2f %7.1f%n",
                    result.getKey(),
                    ProcessMemory.gb(Long.parseLong(values[0])),
                    ProcessMemory.gb((long) peak),
                    peak / reference,
                    ProcessMemory.gb(Long.parseLong(values[4])),
                    ProcessMemory.gb(Long.parseLong(values[2])),
                    Double.parseDouble(values[3]));
        }
        System.out.println("weights GB: the decoders' weights as held, all experts; peak RSS: the process's high-water"
                + " mark, loading included (JVM, libraries and KV caches too)");
        return 0;
    }

    /**
     * Runs this command for one format in a new JVM and returns what it printed: held, peak, final, seconds, after
     * load.
     */
    private String[] inChildProcess(String format) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx2g"); // the same heap for every format: weights live outside it
        if (jar.toString().endsWith(".jar")) {
            command.addAll(List.of("-jar", jar.toString()));
        } else {
            command.addAll(List.of("-cp", jar.toString(), "io.tributary.tools.Tributary"));
        }
        command.addAll(List.of(
                "bench",
                "mixture-memory",
                "--child",
                format,
                "--checkpoint",
                checkpoint.toString(),
                "--experts",
                Integer.toString(experts),
                "--group-size",
                Integer.toString(groupSize)));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String[] result = null;
        List<String> output = new ArrayList<>();
        try (BufferedReader lines =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.startsWith(RESULT + " ")) {
                    result = line.substring(RESULT.length() + 1).split(" ");
                } else {
                    output.add(line);
                }
            }
        }
        int exit = process.waitFor();
        if (exit != 0 || result == null) {
            throw new IllegalStateException("the " + format + " process exited with " + exit + ":\n"
                    + String.join("\n", output.subList(Math.max(0, output.size() - 20), output.size())));
        }
        return result;
    }

    private void measureHere(String format) {
        NativeTarget.setIntraOpThreads(1);
        NativeTarget.prepareInferenceThread();
        LoadOptions options = WeightFormatsBenchmark.options(format, groupSize);
        List<Expert> loaded = new ArrayList<>();
        try {
            long started = System.nanoTime();
            for (int k = 0; k < experts; k++) {
                loaded.add(ExpertLoader.withBuiltInFamilies().load("expert-" + k, checkpoint, options));
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            long afterLoad = ProcessMemory.now().resident();
            long held = loaded.stream()
                    .mapToLong(e -> e instanceof DecoderExpert decoder ? decoder.decoderWeightBytes() : 0)
                    .sum();
            Prompt prompt = Prompt.ofTokens(
                    IntStream.range(0, PROMPT_TOKENS).map(t -> 100 + 37 * t).toArray());
            List<ExpertSession> sessions = new ArrayList<>();
            try {
                for (Expert expert : loaded) {
                    sessions.add(expert.open(prompt));
                }
                for (int t = 0; t < DECODED_TOKENS; t++) {
                    for (ExpertSession session : sessions) {
                        session.append(Cosine.argmax(session.nextLogProbs()));
                    }
                }
                ProcessMemory memory = ProcessMemory.now();
                System.out.printf(
                        Locale.ROOT,
                        "%s %d %d %d %.2f %d%n",
                        RESULT,
                        held,
                        memory.peakResident(),
                        memory.resident(),
                        seconds,
                        afterLoad);
            } finally {
                sessions.forEach(ExpertSession::close);
            }
        } finally {
            loaded.forEach(Expert::close);
        }
    }
}
