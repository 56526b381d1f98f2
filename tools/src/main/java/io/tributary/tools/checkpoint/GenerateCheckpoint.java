package io.tributary.tools.checkpoint;

import io.tributary.model.internvl.InternVlLayout;
import io.tributary.model.tiny.TinyCheckpoints;
import io.tributary.model.tiny.TinyInternVl;
import io.tributary.model.tiny.TinyLlamaSpec;
import io.tributary.model.tiny.TinyLlava;
import io.tributary.model.tiny.TinyLlavaSpec;
import io.tributary.model.safetensors.SafetensorsDType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * Command line: writes one tiny checkpoint of any built-in family.
 *
 * <pre>
 * GenerateCheckpoint --out DIR [--family llama|llava|internvl] [--seed N]
 *     llama:    [--hidden N] [--layers N] [--heads N] [--kv-heads N] [--intermediate N] [--max-positions N]
 *               [--tie-embeddings] [--dtype F32|F16|BF16]
 *     llava:    [--sharp]                        (LlavaVisionText2TextModelTester sizes, llava-hf layout)
 *     internvl: [--layout original|transformers] (InternVLChatModel or InternVLForConditionalGeneration)
 * </pre>
 * Defaults: family llama with {@link TinyLlamaSpec#small()}, seed 1, InternVL's original layout.
 */
public final class GenerateCheckpoint {

    private static final String USAGE = "usage: GenerateCheckpoint --out DIR [--family llama|llava|internvl]"
            + " [--seed N]\n  llama:    [--hidden N] [--layers N] [--heads N] [--kv-heads N] [--intermediate N]"
            + " [--max-positions N] [--tie-embeddings] [--dtype F32|F16|BF16]\n  llava:    [--sharp]\n"
            + "  internvl: [--layout original|transformers]";
    private static final Set<String> LLAMA_ONLY = Set.of("--hidden", "--layers", "--heads", "--kv-heads",
            "--intermediate", "--max-positions", "--tie-embeddings", "--dtype");

    private GenerateCheckpoint() {
    }

    public static void main(String[] args) throws IOException {
        try {
            System.out.println(generate(args));
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
        }
    }

    /**
     * Writes the checkpoint {@code args} describe.
     *
     * @return a line saying what was written where
     * @throws IllegalArgumentException naming the problem with {@code args}
     */
    public static String generate(String... args) throws IOException {
        TinyLlamaSpec d = TinyLlamaSpec.small();
        Path out = null;
        String family = "llama";
        String layout = "original";
        long seed = 1;
        int hidden = d.hiddenSize();
        int layers = d.numLayers();
        int heads = d.numHeads();
        int kvHeads = d.numKvHeads();
        int intermediate = d.intermediateSize();
        int maxPositions = d.maxPositions();
        boolean tied = d.tieWordEmbeddings();
        boolean sharp = false;
        boolean llamaFlags = false;
        SafetensorsDType dtype = d.weightType();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            llamaFlags |= LLAMA_ONLY.contains(flag);
            if (flag.equals("--tie-embeddings") || flag.equals("--sharp")) {
                tied |= flag.equals("--tie-embeddings");
                sharp |= flag.equals("--sharp");
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value after " + flag);
            }
            String value = args[++i];
            switch (flag) {
                case "--out" -> out = Path.of(value);
                case "--family" -> family = value;
                case "--layout" -> layout = value;
                case "--seed" -> seed = Long.parseLong(value);
                case "--hidden" -> hidden = Integer.parseInt(value);
                case "--layers" -> layers = Integer.parseInt(value);
                case "--heads" -> heads = Integer.parseInt(value);
                case "--kv-heads" -> kvHeads = Integer.parseInt(value);
                case "--intermediate" -> intermediate = Integer.parseInt(value);
                case "--max-positions" -> maxPositions = Integer.parseInt(value);
                case "--dtype" -> dtype = SafetensorsDType.valueOf(value);
                default -> throw new IllegalArgumentException("unknown option " + flag);
            }
        }
        if (out == null) {
            throw new IllegalArgumentException("--out DIR is required");
        }
        if (llamaFlags && !family.equals("llama")) {
            throw new IllegalArgumentException("size and dtype options apply to --family llama only");
        }
        String where = " seed " + seed + " to " + out.toAbsolutePath();
        switch (family) {
            case "llama" -> {
                TinyLlamaSpec spec = new TinyLlamaSpec(hidden, layers, heads, kvHeads, intermediate, maxPositions,
                        tied, dtype);
                TinyCheckpoints.writeLlama(out, spec, seed);
                return "wrote Llama " + spec + where;
            }
            case "llava" -> {
                TinyLlavaSpec spec = TinyLlavaSpec.forTests().withSharpWeights(sharp);
                TinyLlava.write(out, spec, seed);
                return "wrote LLaVA " + spec + where;
            }
            case "internvl" -> {
                InternVlLayout keys = switch (layout) {
                    case "original" -> InternVlLayout.ORIGINAL;
                    case "transformers" -> InternVlLayout.TRANSFORMERS;
                    default -> throw new IllegalArgumentException("--layout must be original or transformers, got "
                            + layout);
                };
                TinyInternVl.Spec spec = TinyInternVl.Spec.forTests();
                TinyInternVl.write(out, spec, keys, seed);
                return "wrote InternVL (" + layout + " layout) " + spec + where;
            }
            default -> throw new IllegalArgumentException("--family must be llama, llava or internvl, got " + family);
        }
    }
}
