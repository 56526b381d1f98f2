package io.tributary.model.tiny;

import io.tributary.model.safetensors.SafetensorsDType;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Command line: writes one tiny Llama checkpoint.
 *
 * <pre>
 * GenerateCheckpoint --out DIR [--seed N] [--hidden N] [--layers N] [--heads N] [--kv-heads N]
 *                    [--intermediate N] [--max-positions N] [--tie-embeddings] [--dtype F32|F16|BF16]
 * </pre>
 * Defaults are {@link TinyLlamaSpec#embeddedDefault()} and seed 1.
 */
public final class GenerateCheckpoint {

    private GenerateCheckpoint() {
    }

    public static void main(String[] args) throws IOException {
        TinyLlamaSpec d = TinyLlamaSpec.embeddedDefault();
        Path out = null;
        long seed = 1;
        int hidden = d.hiddenSize();
        int layers = d.numLayers();
        int heads = d.numHeads();
        int kvHeads = d.numKvHeads();
        int intermediate = d.intermediateSize();
        int maxPositions = d.maxPositions();
        boolean tied = d.tieWordEmbeddings();
        SafetensorsDType dtype = d.weightType();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--tie-embeddings")) {
                tied = true;
                continue;
            }
            if (i + 1 >= args.length) {
                usage("missing value after " + flag);
            }
            String value = args[++i];
            switch (flag) {
                case "--out" -> out = Path.of(value);
                case "--seed" -> seed = Long.parseLong(value);
                case "--hidden" -> hidden = Integer.parseInt(value);
                case "--layers" -> layers = Integer.parseInt(value);
                case "--heads" -> heads = Integer.parseInt(value);
                case "--kv-heads" -> kvHeads = Integer.parseInt(value);
                case "--intermediate" -> intermediate = Integer.parseInt(value);
                case "--max-positions" -> maxPositions = Integer.parseInt(value);
                case "--dtype" -> dtype = SafetensorsDType.valueOf(value);
                default -> usage("unknown option " + flag);
            }
        }
        if (out == null) {
            usage("--out DIR is required");
        }
        TinyLlamaSpec spec = new TinyLlamaSpec(hidden, layers, heads, kvHeads, intermediate, maxPositions, tied, dtype);
        TinyCheckpoints.writeLlama(out, spec, seed);
        System.out.println("wrote " + spec + " seed " + seed + " to " + out.toAbsolutePath());
    }

    private static void usage(String problem) {
        System.err.println(problem);
        System.err.println("usage: GenerateCheckpoint --out DIR [--seed N] [--hidden N] [--layers N] [--heads N]"
                + " [--kv-heads N] [--intermediate N] [--max-positions N] [--tie-embeddings] [--dtype F32|F16|BF16]");
        System.exit(2);
    }
}
