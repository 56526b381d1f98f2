package io.tributary.model.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.kernel.DenseProjection;
import io.tributary.model.kernel.Projection;
import io.tributary.model.kernel.WeightPacker;
import io.tributary.model.kernel.WeightPacker.RowSource;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static io.tributary.model.checkpoint.WeightExport.splitRows;
import static io.tributary.model.checkpoint.WeightExport.tensor;
import static io.tributary.model.checkpoint.WeightFusion.scaleLeadingRows;

/**
 * Loads {@link ClipVisionWeights} by canonical key name: {@code <prefix>vision_model.*} and, when present,
 * {@code <prefix>visual_projection.weight}. The prefix is {@code vision_tower.} inside a LLaVA checkpoint and empty
 * for a CLIP checkpoint of its own.
 */
final class ClipVisionLoader {

    private ClipVisionLoader() {}

    static String projectionKey(String prefix) {
        return prefix + "visual_projection.weight";
    }

    /** The {@code position_ids} buffer older checkpoints saved; recomputed, as transformers does. */
    static Predicate<String> ignored(String prefix) {
        return (prefix + "vision_model.embeddings.position_ids")::equals;
    }

    static Map<String, long[]> expectedShapes(ClipVisionConfig c, String prefix, boolean withProjection) {
        long e = c.hiddenSize();
        long inter = c.intermediateSize();
        String p = prefix + "vision_model.";
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put(p + "embeddings.class_embedding", new long[] {e});
        shapes.put(
                p + "embeddings.patch_embedding.weight", new long[] {e, c.numChannels(), c.patchSize(), c.patchSize()});
        shapes.put(p + "embeddings.position_embedding.weight", new long[] {c.numPositions(), e});
        shapes.put(p + "pre_layrnorm.weight", new long[] {e});
        shapes.put(p + "pre_layrnorm.bias", new long[] {e});
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String l = p + "encoder.layers." + i + ".";
            for (String proj : List.of("k_proj", "v_proj", "q_proj", "out_proj")) {
                shapes.put(l + "self_attn." + proj + ".weight", new long[] {e, e});
                shapes.put(l + "self_attn." + proj + ".bias", new long[] {e});
            }
            shapes.put(l + "layer_norm1.weight", new long[] {e});
            shapes.put(l + "layer_norm1.bias", new long[] {e});
            shapes.put(l + "mlp.fc1.weight", new long[] {inter, e});
            shapes.put(l + "mlp.fc1.bias", new long[] {inter});
            shapes.put(l + "mlp.fc2.weight", new long[] {e, inter});
            shapes.put(l + "mlp.fc2.bias", new long[] {e});
            shapes.put(l + "layer_norm2.weight", new long[] {e});
            shapes.put(l + "layer_norm2.bias", new long[] {e});
        }
        shapes.put(p + "post_layernorm.weight", new long[] {e});
        shapes.put(p + "post_layernorm.bias", new long[] {e});
        if (withProjection) {
            shapes.put(projectionKey(prefix), new long[] {c.projectionDim(), e});
        }
        return shapes;
    }

    static ClipVisionWeights load(
            CheckpointTensors tensors,
            ClipVisionConfig c,
            String prefix,
            NDManager manager,
            DataType dataType,
            boolean withProjection,
            WeightPacker packer) {
        Loader load = new Loader(tensors, manager, dataType, packer);
        String p = prefix + "vision_model.";
        float scale = (float) (1 / Math.sqrt(c.headDim()));
        List<ClipVisionWeights.Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String l = p + "encoder.layers." + i + ".";
            String attn = l + "self_attn.";
            layers.add(new ClipVisionWeights.Layer(
                    load.norm(l + "layer_norm1."),
                    load.qkvWeight(attn, scale),
                    load.qkvBias(attn, c.hiddenSize(), scale),
                    load.linear(attn + "out_proj.weight"),
                    load.get(attn + "out_proj.bias"),
                    load.norm(l + "layer_norm2."),
                    load.linear(l + "mlp.fc1.weight"),
                    load.get(l + "mlp.fc1.bias"),
                    load.linear(l + "mlp.fc2.weight"),
                    load.get(l + "mlp.fc2.bias")));
        }
        // Views of the loaded arrays, which stay open in the manager: they may alias the mapped file.
        NDArray patch = load.get(p + "embeddings.patch_embedding.weight").reshape(c.hiddenSize(), c.patchValues());
        NDArray cls = load.get(p + "embeddings.class_embedding").reshape(1, c.hiddenSize());
        return new ClipVisionWeights(
                patch,
                cls,
                load.get(p + "embeddings.position_embedding.weight"),
                load.norm(p + "pre_layrnorm."),
                layers,
                load.norm(p + "post_layernorm."),
                withProjection && tensors.contains(projectionKey(prefix)) ? load.get(projectionKey(prefix)) : null);
    }

    /**
     * The inverse of {@link #load}: the tower (and its projection, if held) as checkpoint tensors under
     * {@code prefix}, the fused attention projections split back and the q rows unscaled.
     */
    static List<Tensor> export(ClipVisionWeights w, ClipVisionConfig c, String prefix) {
        String p = prefix + "vision_model.";
        long e = c.hiddenSize();
        float scale = (float) (1 / Math.sqrt(c.headDim()));
        List<Tensor> tensors = new ArrayList<>();
        tensors.add(tensor(p + "embeddings.class_embedding", w.classEmbedding(), e));
        tensors.add(tensor(
                p + "embeddings.patch_embedding.weight",
                w.patchEmbedding(),
                e,
                c.numChannels(),
                c.patchSize(),
                c.patchSize()));
        tensors.add(tensor(p + "embeddings.position_embedding.weight", w.positionEmbedding()));
        addNorm(tensors, p + "pre_layrnorm.", w.preLayrnorm());
        for (int i = 0; i < w.layers().size(); i++) {
            ClipVisionWeights.Layer layer = w.layers().get(i);
            String l = p + "encoder.layers." + i + ".";
            String attn = l + "self_attn.";
            addNorm(tensors, l + "layer_norm1.", layer.layerNorm1());
            long[] rows = {e, e, e};
            tensors.addAll(splitRows(
                    DenseProjection.arrayOf(layer.qkvProj()),
                    List.of(attn + "q_proj.weight", attn + "k_proj.weight", attn + "v_proj.weight"),
                    rows,
                    scale));
            tensors.addAll(splitRows(
                    layer.qkvBias(),
                    List.of(attn + "q_proj.bias", attn + "k_proj.bias", attn + "v_proj.bias"),
                    rows,
                    scale));
            tensors.add(tensor(attn + "out_proj.weight", DenseProjection.arrayOf(layer.outProj())));
            tensors.add(tensor(attn + "out_proj.bias", layer.outBias()));
            addNorm(tensors, l + "layer_norm2.", layer.layerNorm2());
            tensors.add(tensor(l + "mlp.fc1.weight", DenseProjection.arrayOf(layer.fc1())));
            tensors.add(tensor(l + "mlp.fc1.bias", layer.fc1Bias()));
            tensors.add(tensor(l + "mlp.fc2.weight", DenseProjection.arrayOf(layer.fc2())));
            tensors.add(tensor(l + "mlp.fc2.bias", layer.fc2Bias()));
        }
        addNorm(tensors, p + "post_layernorm.", w.postLayernorm());
        if (w.visualProjection() != null) {
            tensors.add(tensor(projectionKey(prefix), w.visualProjection()));
        }
        return tensors;
    }

    private static void addNorm(List<Tensor> tensors, String prefix, ClipVisionWeights.Norm norm) {
        tensors.add(tensor(prefix + "weight", norm.weight()));
        tensors.add(tensor(prefix + "bias", norm.bias()));
    }

    private record Loader(CheckpointTensors tensors, NDManager manager, DataType dataType, WeightPacker packer) {
        NDArray get(String name) {
            return tensors.load(name, manager, dataType);
        }

        Projection linear(String name) {
            return packer.linear(tensors, List.of(RowSource.of(name)), manager, dataType);
        }

        /** {@code q_proj}, {@code k_proj}, {@code v_proj} weights stacked, the q rows scaled by {@code scale}. */
        Projection qkvWeight(String attention, float scale) {
            List<RowSource> sources = List.of(
                    new RowSource(attention + "q_proj.weight", scale),
                    RowSource.of(attention + "k_proj.weight"),
                    RowSource.of(attention + "v_proj.weight"));
            return packer.linear(tensors, sources, manager, dataType);
        }

        /** The biases likewise. */
        NDArray qkvBias(String attention, long queryRows, float scale) {
            List<String> names =
                    List.of(attention + "q_proj.bias", attention + "k_proj.bias", attention + "v_proj.bias");
            return scaleLeadingRows(tensors.loadRows(names, manager, dataType), queryRows, scale);
        }

        ClipVisionWeights.Norm norm(String prefix) {
            return new ClipVisionWeights.Norm(get(prefix + "weight"), get(prefix + "bias"));
        }
    }
}
