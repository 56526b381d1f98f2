package io.tributary.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.ModelLoadException;
import io.tributary.model.safetensors.SafetensorsCheckpoint;
import io.tributary.model.safetensors.TensorInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads {@link LlamaWeights} by Hugging Face key name. Before anything is loaded the checkpoint is checked against
 * the config: every missing, unexpected or mis-shaped tensor is reported by name and file, and loading stops.
 */
final class LlamaWeightsLoader {

    /** Buffers some older checkpoints saved; transformers ignores them too (they are recomputed). */
    private static final Pattern IGNORED = Pattern.compile("model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq");
    private static final String LM_HEAD = "lm_head.weight";
    private static final Logger LOG = LoggerFactory.getLogger(LlamaWeightsLoader.class);

    private LlamaWeightsLoader() {
    }

    static LlamaWeights load(SafetensorsCheckpoint checkpoint, LlamaConfig config, NDManager manager,
            DataType dataType) {
        boolean tied = config.tieWordEmbeddings() || checkpoint.find(LM_HEAD).isEmpty();
        if (tied && !config.tieWordEmbeddings()) {
            LOG.warn("{}: no {}, using the token embeddings as output projection", checkpoint.directory(), LM_HEAD);
        }
        validate(checkpoint, expectedShapes(config, tied));
        Loader loader = new Loader(checkpoint, manager, dataType);
        NDArray embedTokens = loader.load("model.embed_tokens.weight");
        List<LlamaWeights.Layer> layers = new ArrayList<>();
        float attentionScale = (float) (1 / Math.sqrt(config.headDim()));
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String prefix = "model.layers." + i + ".";
            NDArray scaledQ;
            try (NDArray q = loader.load(prefix + "self_attn.q_proj.weight")) {
                scaledQ = q.mul(attentionScale);
            }
            layers.add(new LlamaWeights.Layer(
                    loader.load(prefix + "input_layernorm.weight"),
                    fuseRows(scaledQ, loader.load(prefix + "self_attn.k_proj.weight"),
                            loader.load(prefix + "self_attn.v_proj.weight")),
                    loader.load(prefix + "self_attn.o_proj.weight"),
                    loader.load(prefix + "post_attention_layernorm.weight"),
                    fuseRows(loader.load(prefix + "mlp.gate_proj.weight"), loader.load(prefix + "mlp.up_proj.weight")),
                    loader.load(prefix + "mlp.down_proj.weight")));
        }
        NDArray norm = loader.load("model.norm.weight");
        NDArray lmHead = tied ? embedTokens : loader.load(LM_HEAD);
        return new LlamaWeights(embedTokens, layers, norm, lmHead);
    }

    /** Name to shape of every tensor a checkpoint of this config must hold, in checkpoint order. */
    static Map<String, long[]> expectedShapes(LlamaConfig c, boolean tied) {
        long hidden = c.hiddenSize();
        long qDim = (long) c.numAttentionHeads() * c.headDim();
        long kvDim = (long) c.numKeyValueHeads() * c.headDim();
        long inter = c.intermediateSize();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {c.vocabSize(), hidden});
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String prefix = "model.layers." + i + ".";
            shapes.put(prefix + "input_layernorm.weight", new long[] {hidden});
            shapes.put(prefix + "self_attn.q_proj.weight", new long[] {qDim, hidden});
            shapes.put(prefix + "self_attn.k_proj.weight", new long[] {kvDim, hidden});
            shapes.put(prefix + "self_attn.v_proj.weight", new long[] {kvDim, hidden});
            shapes.put(prefix + "self_attn.o_proj.weight", new long[] {hidden, qDim});
            shapes.put(prefix + "post_attention_layernorm.weight", new long[] {hidden});
            shapes.put(prefix + "mlp.gate_proj.weight", new long[] {inter, hidden});
            shapes.put(prefix + "mlp.up_proj.weight", new long[] {inter, hidden});
            shapes.put(prefix + "mlp.down_proj.weight", new long[] {hidden, inter});
        }
        shapes.put("model.norm.weight", new long[] {hidden});
        if (!tied) {
            shapes.put(LM_HEAD, new long[] {c.vocabSize(), hidden});
        }
        return shapes;
    }

    private static void validate(SafetensorsCheckpoint checkpoint, Map<String, long[]> expected) {
        List<String> problems = new ArrayList<>();
        expected.forEach((name, shape) -> checkpoint.find(name).ifPresentOrElse(
                info -> {
                    if (!Arrays.equals(info.shape(), shape)) {
                        problems.add("tensor '" + name + "' in " + info.file() + " has shape "
                                + Arrays.toString(info.shape()) + ", expected " + Arrays.toString(shape));
                    }
                },
                () -> problems.add("tensor '" + name + "' is missing from " + checkpoint.directory())));
        for (String name : checkpoint.names()) {
            // A tied checkpoint may still carry lm_head.weight (a copy of the embeddings): transformers ignores it.
            if (!expected.containsKey(name) && !IGNORED.matcher(name).matches() && !name.equals(LM_HEAD)) {
                TensorInfo info = checkpoint.info(name);
                problems.add("unexpected tensor '" + name + "' in " + info.file());
            }
        }
        if (!problems.isEmpty()) {
            throw new ModelLoadException("Llama checkpoint " + checkpoint.directory()
                    + " does not match its config.json: " + String.join("; ", problems));
        }
    }

    /** Stacks projection matrices that read the same input into one [sum of rows, H] matrix. */
    private static NDArray fuseRows(NDArray... parts) {
        try (NDList list = new NDList(parts)) {
            return NDArrays.concat(list, 0);
        }
    }

    /** Loads tensors in the target type, naming the tensor and file if the engine refuses one. */
    private record Loader(SafetensorsCheckpoint checkpoint, NDManager manager, DataType dataType) {
        NDArray load(String name) {
            try {
                return checkpoint.load(name, manager, dataType);
            } catch (RuntimeException e) {
                if (e instanceof ModelLoadException) {
                    throw e;
                }
                throw new ModelLoadException(checkpoint.info(name).file() + ": cannot load tensor '" + name + "': "
                        + e.getMessage(), e);
            }
        }
    }
}
