package io.tributary.model.internvl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import io.tributary.model.NativeTarget;

/**
 * InternVL's image path as OpenGVLab's {@code extract_feature} runs it, for B tiles at once: InternViT (patch
 * embedding, class token, position embedding, pre-norm layers with layer scale, no final norm), the hidden state of
 * {@code select_layer} without its class token, pixel shuffle, and the {@code mlp1} projector.
 *
 * <p>Every intermediate array is created in the caller's {@code step} manager: activations always come first in an
 * op and weights second, because a result attaches to its first operand's manager.
 */
final class InternVitModel {

    /** nn.LayerNorm's default eps, which {@code mlp1.0} uses. */
    private static final float PROJECTOR_NORM_EPS = 1e-5f;

    private final InternVlConfig config;
    private final InternVitWeights weights;
    private final float attentionScale;

    InternVitModel(InternVlConfig config, InternVitWeights weights) {
        this.config = config;
        this.weights = weights;
        this.attentionScale = (float) (1 / Math.sqrt(config.vision().headDim()));
    }

    /**
     * Pixels [B, 3, S, S] to image tokens [B * tokensPerTile, L]. On the CPU tiles run one at a time, each in a
     * scope freed before the next: one tile's 1025-row matmuls already keep the cores busy, and a batch would only
     * multiply the activations held at once (about 250 MB a tile in each layer of InternViT-300M).
     */
    NDArray forward(NDArray pixels) {
        return NativeTarget.onAllCores(() -> encode(pixels)); // compute-bound: worth both cores
    }

    private NDArray encode(NDArray pixels) {
        long tiles = pixels.getShape().get(0);
        if (tiles == 1 || pixels.getDevice().isGpu()) {
            return forwardBatch(pixels);
        }
        NDManager step = pixels.getManager();
        NDList outputs = new NDList();
        try (outputs) {
            for (long tile = 0; tile < tiles; tile++) {
                try (NDManager scope = step.newSubManager()) {
                    NDArray one = pixels.get(new NDIndex().addSliceDim(tile, tile + 1));
                    one.attach(scope);
                    NDArray tokens = forwardBatch(one);
                    tokens.attach(step);
                    outputs.add(tokens);
                }
            }
            return NDArrays.concat(outputs, 0);
        }
    }

    private NDArray forwardBatch(NDArray pixels) {
        NDArray x = hiddenStates(pixels);
        NDArray patches =
                x.get(new NDIndex().addAllDim().addSliceDim(1, x.getShape().get(1))); // drop CLS
        return project(pixelShuffle(patches, config.shuffleFactor(), config.pixelShuffleV2()));
    }

    /** InternViT's hidden state {@code select_layer}: [B, G*G + 1, H], class token first. */
    NDArray hiddenStates(NDArray pixels) {
        NDArray x = embed(pixels);
        NDManager step = x.getManager();
        for (InternVitWeights.Layer layer : weights.layers()) {
            // Each layer's intermediates live in a scope closed when the layer ends; only the residual stream moves
            // on. Without it a 448-px tile of InternViT-300M holds all 24 layers' activations (~5 GB) at once.
            try (NDManager scope = step.newSubManager()) {
                x.attach(scope); // the previous layer's output is not needed after this layer
                x = layer(x, layer);
                x.attach(step);
            }
        }
        return x;
    }

    InternVitWeights weights() {
        return weights;
    }

    /** Patch embedding (a stride-P convolution, as one matmul), class token, position embedding. [B, G*G + 1, H]. */
    NDArray embed(NDArray pixels) {
        InternVisionConfig v = config.vision();
        long batch = pixels.getShape().get(0);
        int g = v.gridSize();
        int p = v.patchSize();
        // [B, 3, G, P, G, P] -> [B, G(row), G(col), 3, P, P]: each patch flattened as the conv weight is.
        NDArray patches = pixels.reshape(batch, 3, g, p, g, p)
                .transpose(0, 2, 4, 1, 3, 5)
                .reshape(batch, (long) g * g, 3L * p * p);
        NDArray embedded = linear(patches, weights.patchEmbedding(), weights.patchBias())
                .add(weights.patchPositions()); // [B, G*G, H]
        NDArray cls = embedded.getManager()
                .zeros(new Shape(batch, 1, v.hiddenSize()), embedded.getDataType())
                .add(weights.classToken()); // class embedding + position 0
        return cls.concat(embedded, 1);
    }

    /** One encoder layer: x + ls1 * attn(norm1(x)), then x + ls2 * mlp(norm2(x)). */
    NDArray layer(NDArray x, InternVitWeights.Layer layer) {
        x = x.add(attention(norm(x, layer.norm1(), layer.norm1Bias()), layer).mul(layer.ls1()));
        NDArray hidden = linear(norm(x, layer.norm2(), layer.norm2Bias()), layer.fc1(), layer.fc1Bias());
        return x.add(linear(activation(hidden), layer.fc2(), layer.fc2Bias()).mul(layer.ls2()));
    }

    /** Bidirectional multi-head self-attention with a fused qkv projection. [B, N, H] to [B, N, H]. */
    NDArray attention(NDArray h, InternVitWeights.Layer layer) {
        InternVisionConfig v = config.vision();
        long batch = h.getShape().get(0);
        long tokens = h.getShape().get(1);
        // [B, N, 3, heads, D] -> [3, B, heads, N, D]
        NDArray qkv = linear(h, layer.qkv(), layer.qkvBias())
                .reshape(batch, tokens, 3, v.numAttentionHeads(), v.headDim())
                .transpose(2, 0, 3, 1, 4);
        NDList qkvParts = qkv.split(3, 0);
        NDArray q = qkvParts.get(0).squeeze(0).mul(attentionScale);
        NDArray k = qkvParts.get(1).squeeze(0);
        NDArray values = qkvParts.get(2).squeeze(0);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)); // [B, heads, N, N]
        NDArray context =
                scores.softmax(-1).matMul(values).transpose(0, 2, 1, 3).reshape(batch, tokens, v.hiddenSize());
        return linear(context, layer.proj(), layer.projBias());
    }

    /**
     * OpenGVLab's {@code pixel_shuffle} on [B, G*G, C] patch tokens (row-major grid), with F = shuffle factor:
     * view [B, G, G/F, C*F] (pairs of neighbouring columns side by side), swap the two grid axes, view
     * [B, G/F, G/F, C*F*F] (pairs of rows), and for ps_version v2 swap back, so token (r, c) of the output holds, in
     * order, patches (F r + i, F c + j) for i, then j. Returns [B * (G/F)^2, C*F*F].
     */
    static NDArray pixelShuffle(NDArray x, int factor, boolean v2) {
        long batch = x.getShape().get(0);
        long side = Math.round(Math.sqrt(x.getShape().get(1)));
        long channels = x.getShape().get(2);
        NDArray shuffled = x.reshape(batch, side, side / factor, channels * factor)
                .transpose(0, 2, 1, 3)
                .reshape(batch, side / factor, side / factor, channels * factor * factor);
        if (v2) {
            shuffled = shuffled.transpose(0, 2, 1, 3);
        }
        return shuffled.reshape(-1, channels * factor * factor);
    }

    /** {@code mlp1}: LayerNorm, Linear, exact GELU, Linear. [T, F*F*H] to [T, L]. */
    NDArray project(NDArray tokens) {
        InternVitWeights.Projector p = weights.projector();
        NDArray normed = LayerNorm.layerNorm(
                        tokens, new Shape(tokens.getShape().get(1)), p.norm(), p.normBias(), PROJECTOR_NORM_EPS)
                .singletonOrThrow();
        return linear(Activation.gelu(linear(normed, p.linear1(), p.bias1())), p.linear2(), p.bias2());
    }

    private NDArray norm(NDArray x, NDArray weight, NDArray bias) {
        float eps = (float) config.vision().layerNormEps();
        if (config.vision().normType() == InternVisionConfig.NormType.LAYER_NORM) {
            return LayerNorm.layerNorm(x, new Shape(x.getShape().tail()), weight, bias, eps)
                    .singletonOrThrow();
        }
        // InternRMSNorm: x / sqrt(mean(x^2) + eps) * weight, computed in float32.
        DataType type = x.getDataType();
        NDArray x32 = x.toType(DataType.FLOAT32, false);
        NDArray normalized =
                x32.div(x32.square().mean(new int[] {-1}, true).add(eps).sqrt());
        return normalized.toType(type, false).mul(weight);
    }

    private NDArray activation(NDArray x) {
        if (config.vision().hiddenAct() == InternVisionConfig.Activation.GELU) {
            return Activation.gelu(x);
        }
        return x.mul(Activation.sigmoid(x.mul(1.702f)));
    }

    /** torch's F.linear: x @ w^T + b. */
    private static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return Linear.linear(x, weight, bias).singletonOrThrow();
    }

    InternVlConfig config() {
        return config;
    }
}
