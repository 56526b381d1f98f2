package io.tributary.tools.checkpoint;

import io.tributary.model.internvl.InternVlLayout;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.tiny.TinyCheckpoints;
import io.tributary.model.tiny.TinyInternVl;
import io.tributary.model.tiny.TinyLlamaSpec;
import io.tributary.model.tiny.TinyLlava;
import io.tributary.model.tiny.TinyLlavaSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Writes one tiny checkpoint with random weights, of any built-in family, in the real Hugging Face layout: a model
 * to try the server or a tool on without downloading one.
 *
 * <pre>
 * java -jar tools/target/tributary-0.1.0-SNAPSHOT.jar tiny-checkpoint --out DIR [--family llama|llava|internvl]
 *     [--seed N]
 *     llama:    [--hidden N] [--layers N] [--heads N] [--kv-heads N] [--intermediate N] [--max-positions N]
 *               [--tie-embeddings] [--dtype F32|F16|BF16]
 *     llava:    [--sharp]                        (LlavaVisionText2TextModelTester sizes, llava-hf layout)
 *     internvl: [--layout original|transformers] (InternVLChatModel or InternVLForConditionalGeneration)
 * </pre>
 * Defaults: family llama with {@link TinyLlamaSpec#small()}, seed 1, InternVL's original layout.
 */
@Command(
        name = "tiny-checkpoint",
        mixinStandardHelpOptions = true,
        description = "Write one tiny checkpoint with random weights: Llama (sizes and dtype as given), LLaVA or"
                + " InternVL (fixed test sizes).")
public final class GenerateCheckpoint implements Callable<Integer> {

    private static final TinyLlamaSpec SMALL = TinyLlamaSpec.small();
    private static final List<String> LLAMA_ONLY = List.of(
            "--hidden",
            "--layers",
            "--heads",
            "--kv-heads",
            "--intermediate",
            "--max-positions",
            "--tie-embeddings",
            "--dtype");

    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The checkpoint's directory.")
    Path out;

    @Option(
            names = "--family",
            defaultValue = "llama",
            paramLabel = "FAMILY",
            description = "llama, llava or internvl (default: ${DEFAULT-VALUE}).")
    String family;

    @Option(
            names = "--seed",
            defaultValue = "1",
            paramLabel = "N",
            description = "The weights' seed; the same seed writes the same weights (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--hidden", paramLabel = "N", description = "Llama: hidden size (default: ${DEFAULT-VALUE}).")
    int hidden = SMALL.hiddenSize();

    @Option(names = "--layers", paramLabel = "N", description = "Llama: layers (default: ${DEFAULT-VALUE}).")
    int layers = SMALL.numLayers();

    @Option(names = "--heads", paramLabel = "N", description = "Llama: attention heads (default: ${DEFAULT-VALUE}).")
    int heads = SMALL.numHeads();

    @Option(
            names = "--kv-heads",
            paramLabel = "N",
            description = "Llama: key-value heads, dividing --heads (default: ${DEFAULT-VALUE}).")
    int kvHeads = SMALL.numKvHeads();

    @Option(
            names = "--intermediate",
            paramLabel = "N",
            description = "Llama: the MLP's intermediate size (default: ${DEFAULT-VALUE}).")
    int intermediate = SMALL.intermediateSize();

    @Option(
            names = "--max-positions",
            paramLabel = "N",
            description = "Llama: max_position_embeddings (default: ${DEFAULT-VALUE}).")
    int maxPositions = SMALL.maxPositions();

    @Option(names = "--tie-embeddings", description = "Llama: tie the output head to the token embeddings.")
    boolean tied = SMALL.tieWordEmbeddings();

    @Option(
            names = "--dtype",
            paramLabel = "DTYPE",
            description = "Llama: how weights are stored, F32, F16 or BF16 (default: ${DEFAULT-VALUE}).")
    SafetensorsDType dtype = SMALL.weightType();

    @Option(names = "--sharp", description = "LLaVA: sharper random weights, so that greedy answers differ.")
    boolean sharp;

    @Option(
            names = "--layout",
            defaultValue = "original",
            paramLabel = "LAYOUT",
            description = "InternVL: original (InternVLChatModel) or transformers"
                    + " (InternVLForConditionalGeneration) (default: ${DEFAULT-VALUE}).")
    String layout;

    @Override
    public Integer call() throws IOException {
        ParseResult parsed = spec.commandLine().getParseResult();
        if (!family.equals("llama") && LLAMA_ONLY.stream().anyMatch(parsed::hasMatchedOption)) {
            throw new ParameterException(spec.commandLine(), "size and dtype options apply to --family llama only");
        }
        String where = " seed " + seed + " to " + out.toAbsolutePath();
        spec.commandLine()
                .getOut()
                .println(
                        switch (family) {
                            case "llama" -> {
                                TinyLlamaSpec llama = new TinyLlamaSpec(
                                        hidden, layers, heads, kvHeads, intermediate, maxPositions, tied, dtype);
                                TinyCheckpoints.writeLlama(out, llama, seed);
                                yield "wrote Llama " + llama + where;
                            }
                            case "llava" -> {
                                TinyLlavaSpec llava = TinyLlavaSpec.forTests().withSharpWeights(sharp);
                                TinyLlava.write(out, llava, seed);
                                yield "wrote LLaVA " + llava + where;
                            }
                            case "internvl" -> {
                                TinyInternVl.Spec internVl = TinyInternVl.Spec.forTests();
                                TinyInternVl.write(out, internVl, internVlLayout(), seed);
                                yield "wrote InternVL (" + layout + " layout) " + internVl + where;
                            }
                            default ->
                                throw new ParameterException(
                                        spec.commandLine(), "--family must be llama, llava or internvl, got " + family);
                        });
        return 0;
    }

    private InternVlLayout internVlLayout() {
        return switch (layout) {
            case "original" -> InternVlLayout.ORIGINAL;
            case "transformers" -> InternVlLayout.TRANSFORMERS;
            default ->
                throw new ParameterException(
                        spec.commandLine(), "--layout must be original or transformers, got " + layout);
        };
    }
}
