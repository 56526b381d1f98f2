package io.tributary.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.kernel.Projection;
import io.tributary.model.kernel.TokenEmbedding;
import io.tributary.model.kernel.WeightPacker;
import io.tributary.model.kernel.WeightPacker.RowSource;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import static io.tributary.model.checkpoint.WeightExport.splitRows;
import static io.tributary.model.checkpoint.WeightExport.tensor;
import static io.tributary.model.checkpoint.WeightFusion.scaleLeadingRows;

/**
 * Loads {@link LlamaWeights} by canonical key name ({@code model.*}, {@code lm_head.weight}; see
 * {@link io.tributary.model.checkpoint.KeyLayout}). Checking the checkpoint against the config is the caller's
 * first step ({@link CheckpointTensors#validate} with {@link #expectedShapes} and {@link #IGNORED}), so a
 * multimodal family checks its decoder, vision tower and projector in one pass.
 */
public final class LlamaWeightsLoader {

    static final String LM_HEAD = "lm_head.weight";
    /** Buffers some older checkpoints saved (recomputed, as transformers does), and a tied model's lm_head copy. */
    public static final Predicate<String> IGNORED = Pattern.compile(
                    "model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq")
            .asMatchPredicate()
            .or(LM_HEAD::equals);

    private static final Logger LOG = LoggerFactory.getLogger(LlamaWeightsLoader.class);

    private LlamaWeightsLoader() {}

    /**
     * The output projection is the token embedding when the config ties them or when the checkpoint has no
     * {@code lm_head.weight} (transformers would leave it randomly initialised: the embedding is the only sane
     * reading of such a checkpoint).
     */
    public static boolean tied(CheckpointTensors tensors, LlamaConfig config) {
        boolean tied = config.tieWordEmbeddings() || !tensors.contains(LM_HEAD);
        if (tied && !config.tieWordEmbeddings()) {
            LOG.warn(
                    "{}: no {}, using the token embeddings as output projection",
                    tensors.directory(),
                    tensors.originalName(LM_HEAD));
        }
        return tied;
    }

    public static LlamaWeights load(
            CheckpointTensors tensors, LlamaConfig config, boolean tied, NDManager manager, DataType dataType) {
        return load(tensors, config, tied, manager, dataType, WeightPacker.dense());
    }

    /** As above, each linear weight turned by {@code packer} into the projection the load options ask for. */
    public static LlamaWeights load(
            CheckpointTensors tensors,
            LlamaConfig config,
            boolean tied,
            NDManager manager,
            DataType dataType,
            WeightPacker packer) {
        TokenEmbedding embedTokens = packer.embedding(tensors, "model.embed_tokens.weight", manager, dataType);
        Linears linears = new Linears(tensors, config, packer, manager, dataType);
        List<LlamaWeights.Layer> layers = new ArrayList<>();
        float attentionScale = (float) (1 / Math.sqrt(config.headDim()));
        long queryRows = (long) config.numAttentionHeads() * config.headDim();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String attn = "model.layers." + i + ".self_attn.";
            String mlp = "model.layers." + i + ".mlp.";
            NDArray qkvBias = config.attentionBias()
                    ? scaleLeadingRows(
                            tensors.loadRows(
                                    List.of(attn + "q_proj.bias", attn + "k_proj.bias", attn + "v_proj.bias"),
                                    manager,
                                    dataType),
                            queryRows,
                            attentionScale)
                    : null;
            layers.add(new LlamaWeights.Layer(
                    tensors.load("model.layers." + i + ".input_layernorm.weight", manager, dataType),
                    linears.fused(
                            List.of(attn + "q_proj", attn + "k_proj", attn + "v_proj"), queryRows, attentionScale),
                    qkvBias,
                    linears.single(attn + "o_proj"),
                    config.oProjBias() ? tensors.load(attn + "o_proj.bias", manager, dataType) : null,
                    tensors.load("model.layers." + i + ".post_attention_layernorm.weight", manager, dataType),
                    linears.single(mlp + "gate_proj"),
                    linears.single(mlp + "up_proj"),
                    linears.single(mlp + "down_proj")));
        }
        NDArray norm = tensors.load("model.norm.weight", manager, dataType);
        Projection lmHead = tied
                ? packer.tiedHead(tensors, "model.embed_tokens.weight", embedTokens, manager, dataType)
                : linear(packer, tensors, LM_HEAD, manager, dataType);
        return new LlamaWeights(embedTokens, layers, norm, lmHead);
    }

    private static Projection linear(
            WeightPacker packer, CheckpointTensors tensors, String name, NDManager manager, DataType dataType) {
        return packer.linear(tensors, List.of(RowSource.of(name)), manager, dataType);
    }

    /**
     * The inverse of {@link #load}: the weights as checkpoint tensors under their canonical names, the fused
     * attention projections split back and the q rows unscaled; no {@code lm_head.weight} when tied.
     */
    public static List<Tensor> export(LlamaWeights weights, LlamaConfig c) {
        float attentionScale = (float) (1 / Math.sqrt(c.headDim()));
        long[] qkvRows = {
            (long) c.numAttentionHeads() * c.headDim(),
            (long) c.numKeyValueHeads() * c.headDim(),
            (long) c.numKeyValueHeads() * c.headDim()
        };
        List<Tensor> tensors = new ArrayList<>();
        NDArray embedTokens = LlamaWeights.dense(weights.embedTokens());
        tensors.add(tensor("model.embed_tokens.weight", embedTokens));
        for (int i = 0; i < weights.layers().size(); i++) {
            LlamaWeights.Layer layer = weights.layers().get(i);
            String prefix = "model.layers." + i + ".";
            String attn = prefix + "self_attn.";
            tensors.add(tensor(prefix + "input_layernorm.weight", layer.inputLayernorm()));
            tensors.addAll(splitRows(
                    LlamaWeights.dense(layer.qkvProj()),
                    List.of(attn + "q_proj.weight", attn + "k_proj.weight", attn + "v_proj.weight"),
                    qkvRows,
                    attentionScale));
            if (layer.qkvBias() != null) {
                tensors.addAll(splitRows(
                        layer.qkvBias(),
                        List.of(attn + "q_proj.bias", attn + "k_proj.bias", attn + "v_proj.bias"),
                        qkvRows,
                        attentionScale));
            }
            tensors.add(tensor(attn + "o_proj.weight", LlamaWeights.dense(layer.oProj())));
            if (layer.oProjBias() != null) {
                tensors.add(tensor(attn + "o_proj.bias", layer.oProjBias()));
            }
            tensors.add(tensor(prefix + "post_attention_layernorm.weight", layer.postAttentionLayernorm()));
            tensors.add(tensor(prefix + "mlp.gate_proj.weight", LlamaWeights.dense(layer.gateProj())));
            tensors.add(tensor(prefix + "mlp.up_proj.weight", LlamaWeights.dense(layer.upProj())));
            tensors.add(tensor(prefix + "mlp.down_proj.weight", LlamaWeights.dense(layer.downProj())));
        }
        tensors.add(tensor("model.norm.weight", weights.norm()));
        if (LlamaWeights.dense(weights.lmHead()) != embedTokens) {
            tensors.add(tensor(LM_HEAD, LlamaWeights.dense(weights.lmHead())));
        }
        return tensors;
    }

    /** Canonical name to shape of every tensor a decoder of this config needs, in checkpoint order. */
    public static Map<String, long[]> expectedShapes(LlamaConfig c, boolean tied) {
        long hidden = c.hiddenSize();
        long qDim = (long) c.numAttentionHeads() * c.headDim();
        long kvDim = (long) c.numKeyValueHeads() * c.headDim();
        long inter = c.intermediateSize();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {c.vocabSize(), hidden});
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String prefix = "model.layers." + i + ".";
            shapes.put(prefix + "input_layernorm.weight", new long[] {hidden});
            linear(shapes, c, prefix + "self_attn.q_proj", qDim, hidden);
            linear(shapes, c, prefix + "self_attn.k_proj", kvDim, hidden);
            linear(shapes, c, prefix + "self_attn.v_proj", kvDim, hidden);
            if (c.attentionBias()) {
                shapes.put(prefix + "self_attn.q_proj.bias", new long[] {qDim});
                shapes.put(prefix + "self_attn.k_proj.bias", new long[] {kvDim});
                shapes.put(prefix + "self_attn.v_proj.bias", new long[] {kvDim});
            }
            linear(shapes, c, prefix + "self_attn.o_proj", hidden, qDim);
            if (c.oProjBias()) {
                shapes.put(prefix + "self_attn.o_proj.bias", new long[] {hidden});
            }
            shapes.put(prefix + "post_attention_layernorm.weight", new long[] {hidden});
            linear(shapes, c, prefix + "mlp.gate_proj", inter, hidden);
            linear(shapes, c, prefix + "mlp.up_proj", inter, hidden);
            linear(shapes, c, prefix + "mlp.down_proj", hidden, inter);
        }
        shapes.put("model.norm.weight", new long[] {hidden});
        if (!tied) {
            shapes.put(LM_HEAD, new long[] {c.vocabSize(), hidden});
        }
        return shapes;
    }

    /**
     * A linear layer's tensors: {@code module.weight} [out, in], or in an AWQ checkpoint {@code module.qweight}
     * [in, out/8], {@code module.qzeros} [in/group, out/8] and {@code module.scales} [in/group, out].
     */
    private static void linear(Map<String, long[]> shapes, LlamaConfig c, String module, long out, long in) {
        if (c.awq().isEmpty() || !c.awq().get().converts(module)) {
            shapes.put(module + ".weight", new long[] {out, in});
            return;
        }
        long groups = in / c.awq().get().groupSize();
        shapes.put(module + ".qweight", new long[] {in, out / 8});
        shapes.put(module + ".qzeros", new long[] {groups, out / 8});
        shapes.put(module + ".scales", new long[] {groups, out});
    }
}
