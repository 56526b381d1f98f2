package io.tributary.model.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import io.tributary.model.NativeTarget;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.image.PixelValues;
import io.tributary.model.kernel.Projection;
import io.tributary.model.kernel.WeightPacker;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The CLIP vision transformer (transformers' {@code CLIPVisionTransformer}): patch embedding, class token, position
 * embeddings, pre-LayerNorm, then pre-norm encoder layers with bidirectional attention. It serves LLaVA (the hidden
 * states of one layer, as image features) and can serve a router (the pooled, projected image embedding).
 *
 * <p>Like the decoder, every intermediate array lives in the caller's {@code step} manager, activations first.
 */
public final class ClipVisionModel {

    /** Where LLaVA checkpoints keep the tower (canonical spelling). */
    public static final String LLAVA_PREFIX = "vision_tower.";

    private final ClipVisionConfig config;
    private final ClipVisionWeights weights;
    private final DataType dataType;

    private ClipVisionModel(ClipVisionConfig config, ClipVisionWeights weights, DataType dataType) {
        this.config = config;
        this.weights = weights;
        this.dataType = dataType;
    }

    /** Canonical names and shapes under {@code prefix}; {@code visual_projection} only if the checkpoint has it. */
    public static Map<String, long[]> expectedShapes(
            CheckpointTensors tensors, ClipVisionConfig config, String prefix) {
        return ClipVisionLoader.expectedShapes(
                config, prefix, tensors.contains(ClipVisionLoader.projectionKey(prefix)));
    }

    /** Where a CLIP checkpoint keeps the projection into the image-text embedding space (no bias). */
    public static String projectionKey(String prefix) {
        return ClipVisionLoader.projectionKey(prefix);
    }

    /** The tower proper under {@code prefix}: every {@code vision_model.*} tensor, never {@code visual_projection}. */
    public static Map<String, long[]> towerShapes(ClipVisionConfig config, String prefix) {
        return ClipVisionLoader.expectedShapes(config, prefix, false);
    }

    public static Predicate<String> ignoredTensors(String prefix) {
        return ClipVisionLoader.ignored(prefix);
    }

    /** Loads the tower's weights (already validated) into {@code manager}, which owns them, as they are stored. */
    public static ClipVisionModel load(
            CheckpointTensors tensors, ClipVisionConfig config, String prefix, NDManager manager, DataType dataType) {
        return load(tensors, config, prefix, manager, dataType, WeightPacker.dense());
    }

    /** As above, the encoder layers' linear weights packed as {@code packer} says. */
    public static ClipVisionModel load(
            CheckpointTensors tensors,
            ClipVisionConfig config,
            String prefix,
            NDManager manager,
            DataType dataType,
            WeightPacker packer) {
        return of(tensors, config, prefix, manager, dataType, true, packer);
    }

    /**
     * Loads the tower proper, without {@code visual_projection} even if the checkpoint has one: what a shared tower
     * holds, since LLaVA's towers have no projection and a router keeps its own (see {@code vision.VisionTowers}).
     */
    public static ClipVisionModel loadTower(
            CheckpointTensors tensors,
            ClipVisionConfig config,
            String prefix,
            NDManager manager,
            DataType dataType,
            WeightPacker packer) {
        return of(tensors, config, prefix, manager, dataType, false, packer);
    }

    private static ClipVisionModel of(
            CheckpointTensors tensors,
            ClipVisionConfig config,
            String prefix,
            NDManager manager,
            DataType dataType,
            boolean withProjection,
            WeightPacker packer) {
        ClipVisionWeights weights =
                ClipVisionLoader.load(tensors, config, prefix, manager, dataType, withProjection, packer);
        return new ClipVisionModel(config, weights, dataType);
    }

    public ClipVisionConfig config() {
        return config;
    }

    /**
     * The weight arrays {@link #hiddenStates} reads up to hidden state {@code last}, once: what a trainer updates
     * in place (the post-norm and projection serve only {@link #imageEmbeds}).
     */
    public List<NDArray> parameters(int last) {
        return weights.parameters(last);
    }

    /** Every weight array {@link #imageEmbeds} reads, once: what a trainer of the whole encoder updates in place. */
    public List<NDArray> parameters() {
        List<NDArray> all = new ArrayList<>(weights.parameters(config.numHiddenLayers()));
        all.add(weights.postLayernorm().weight());
        all.add(weights.postLayernorm().bias());
        if (weights.visualProjection() != null) {
            all.add(weights.visualProjection());
        }
        return all;
    }

    /** The weights as checkpoint tensors under {@code prefix} (canonical names, the loader's fusions undone). */
    public List<Tensor> checkpointTensors(String prefix) {
        return ClipVisionLoader.export(weights, config, prefix);
    }

    public boolean hasProjection() {
        return weights.visualProjection() != null;
    }

    /**
     * Stacks preprocessed images into one batch [B, C, S, S] in the weights' type.
     *
     * @throws IllegalArgumentException if an image is not C×S×S as the config says
     */
    public NDArray pixels(List<PixelValues> images, NDManager step) {
        int c = config.numChannels();
        int s = config.imageSize();
        float[] batch = new float[images.size() * c * s * s];
        for (int i = 0; i < images.size(); i++) {
            PixelValues image = images.get(i);
            if (image.channels() != c || image.height() != s || image.width() != s) {
                throw new IllegalArgumentException("image " + i + " was preprocessed to " + image.channels() + "x"
                        + image.height() + "x" + image.width() + ", the vision tower reads " + c + "x" + s + "x" + s);
            }
            System.arraycopy(image.data(), 0, batch, i * c * s * s, c * s * s);
        }
        NDArray floats = step.create(batch, new Shape(images.size(), c, s, s));
        return dataType == DataType.FLOAT32 ? floats : floats.toType(dataType, false);
    }

    /**
     * transformers' {@code hidden_states} up to layer {@code last}: entry 0 is the embeddings after pre_layrnorm,
     * entry i the output of encoder layer i - 1; each [B, N + 1, E], class token first. Layers past {@code last}
     * are not run.
     */
    public List<NDArray> hiddenStates(NDArray pixels, int last) {
        if (last < 0 || last > config.numHiddenLayers()) {
            throw new IllegalArgumentException(
                    "hidden state " + last + " of a tower with " + config.numHiddenLayers() + " layers");
        }
        return NativeTarget.onAllCores(() -> runLayers(pixels, last)); // compute-bound: worth both cores
    }

    private List<NDArray> runLayers(NDArray pixels, int last) {
        List<NDArray> states = new ArrayList<>();
        NDArray x = layerNorm(embeddings(pixels), weights.preLayrnorm());
        states.add(x);
        for (int i = 0; i < last; i++) {
            ClipVisionWeights.Layer layer = weights.layers().get(i);
            x = x.add(attention(layerNorm(x, layer.layerNorm1()), layer));
            x = x.add(mlp(layerNorm(x, layer.layerNorm2()), layer));
            states.add(x);
        }
        return states;
    }

    /**
     * The image embedding CLIP compares with text: post_layernorm of the last layer's class token, projected by
     * {@code visual_projection} when the checkpoint has one. [B, projection_dim] (or [B, E] without projection).
     */
    public NDArray imageEmbeds(NDArray pixels) {
        NDArray pooled = pooled(hiddenStates(pixels, config.numHiddenLayers()).get(config.numHiddenLayers()));
        return hasProjection() ? linear(pooled, weights.visualProjection(), null) : pooled;
    }

    /** transformers' {@code pooler_output}: post_layernorm of the last hidden state's class token, [B, E]. */
    public NDArray pooled(NDArray lastHiddenState) {
        return layerNorm(lastHiddenState.get(new NDIndex(":, 0")), weights.postLayernorm());
    }

    /** Bytes the tower's weights take as held. */
    public long weightBytes() {
        return weights.bytes();
    }

    /** The weights' type: pixels and cached features are in it. */
    public DataType dataType() {
        return dataType;
    }

    /** Patches through the bias-free conv (one matmul), class token prepended, positions added: [B, N + 1, E]. */
    private NDArray embeddings(NDArray pixels) {
        long batch = pixels.getShape().get(0);
        int c = config.numChannels();
        int side = config.patchesPerSide();
        int p = config.patchSize();
        // [B, C, side*P, side*P] -> [B, side, side, C, P, P]: each patch flattened in the kernel's (c, y, x) order.
        NDArray patches = pixels.reshape(batch, c, side, p, side, p)
                .transpose(0, 2, 4, 1, 3, 5)
                .reshape(batch, (long) side * side, config.patchValues());
        NDArray patchEmbeds = linear(patches, weights.patchEmbedding(), null); // [B, N, E]
        // A view of the class embedding owned by this step, so the ops on it do not land in the weights' manager.
        NDArray cls = weights.classEmbedding()
                .get(patchEmbeds.getManager(), new NDIndex(":"))
                .reshape(1, 1, config.hiddenSize())
                .broadcast(new Shape(batch, 1, config.hiddenSize()));
        NDArray tokens = NDArrays.concat(new NDList(cls, patchEmbeds), 1);
        return tokens.add(weights.positionEmbedding());
    }

    /** Multi-head self-attention over all positions (no mask): [B, L, E] to [B, L, E]. */
    private NDArray attention(NDArray h, ClipVisionWeights.Layer layer) {
        long batch = h.getShape().get(0);
        long length = h.getShape().get(1);
        int heads = config.numAttentionHeads();
        // [B, L, 3E] -> [B, 3 * heads, L, D]: q heads, then k heads, then v heads.
        NDArray qkv = linear(h, layer.qkvProj(), layer.qkvBias())
                .reshape(batch, length, 3L * heads, config.headDim())
                .transpose(0, 2, 1, 3);
        NDList parts = qkv.split(3, 1);
        // q already carries the 1/sqrt(D) scale (folded in at load).
        NDArray scores = parts.get(0).matMul(parts.get(1).transpose(0, 1, 3, 2)); // [B, heads, L, L]
        NDArray context = scores.softmax(-1).matMul(parts.get(2)); // [B, heads, L, D]
        NDArray merged = context.transpose(0, 2, 1, 3).reshape(batch, length, config.hiddenSize());
        return linear(merged, layer.outProj(), layer.outBias());
    }

    /** fc2(act(fc1(h))). */
    private NDArray mlp(NDArray h, ClipVisionWeights.Layer layer) {
        return linear(config.hiddenAct().apply(linear(h, layer.fc1(), layer.fc1Bias())), layer.fc2(), layer.fc2Bias());
    }

    private NDArray layerNorm(NDArray x, ClipVisionWeights.Norm norm) {
        return LayerNorm.layerNorm(
                        x, new Shape(config.hiddenSize()), norm.weight(), norm.bias(), (float) config.layerNormEps())
                .singletonOrThrow();
    }

    private static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return Linear.linear(x, weight, bias).singletonOrThrow();
    }

    private static NDArray linear(NDArray x, Projection weight, NDArray bias) {
        return weight.apply(x, bias);
    }
}
