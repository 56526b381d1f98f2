package io.tributary.model.clip;

import ai.djl.ndarray.NDArray;
import io.tributary.model.kernel.DenseProjection;
import io.tributary.model.kernel.Projection;

import java.util.ArrayList;
import java.util.List;

/**
 * All weights of a CLIP vision tower, loaded by checkpoint name under {@code vision_model.}. Shapes: E =
 * hidden_size, I = intermediate_size, C = num_channels, P = patch_size, N = (image_size / P)^2 patches.
 *
 * @param patchEmbedding    {@code embeddings.patch_embedding.weight} [E, C, P, P] (a conv without bias) flattened to
 *                          [E, C*P*P]: with stride = kernel the conv is one matmul over flattened patches
 * @param classEmbedding    {@code embeddings.class_embedding} [1, E]
 * @param positionEmbedding {@code embeddings.position_embedding.weight} [N + 1, E]
 * @param preLayrnorm       {@code pre_layrnorm.{weight,bias}} [E] (sic: CLIP's spelling)
 * @param layers            {@code encoder.layers.N.*}, in order
 * @param postLayernorm     {@code post_layernorm.{weight,bias}} [E]: only the pooled embedding reads it
 * @param visualProjection  {@code visual_projection.weight} [projection_dim, E], no bias; null when the checkpoint
 *                          is a bare vision model (LLaVA's tower)
 */
public record ClipVisionWeights(
        NDArray patchEmbedding,
        NDArray classEmbedding,
        NDArray positionEmbedding,
        Norm preLayrnorm,
        List<Layer> layers,
        Norm postLayernorm,
        NDArray visualProjection) {

    public ClipVisionWeights {
        layers = List.copyOf(layers);
    }

    /**
     * The arrays a forward pass up to hidden state {@code last} reads (embeddings, pre-norm, encoder layers
     * before {@code last}), once: the parameters a trainer updates in place. The others receive no gradient.
     */
    List<NDArray> parameters(int last) {
        List<NDArray> all = new ArrayList<>(
                List.of(patchEmbedding, classEmbedding, positionEmbedding, preLayrnorm.weight(), preLayrnorm.bias()));
        for (Layer l : layers.subList(0, last)) {
            all.addAll(List.of(
                    l.layerNorm1().weight(),
                    l.layerNorm1().bias(),
                    DenseProjection.arrayOf(l.qkvProj()),
                    l.qkvBias(),
                    DenseProjection.arrayOf(l.outProj()),
                    l.outBias(),
                    l.layerNorm2().weight(),
                    l.layerNorm2().bias(),
                    DenseProjection.arrayOf(l.fc1()),
                    l.fc1Bias(),
                    DenseProjection.arrayOf(l.fc2()),
                    l.fc2Bias()));
        }
        return all;
    }

    /** Bytes the weights take as held, packed projections with their scales. */
    long bytes() {
        long total = bytes(patchEmbedding)
                + bytes(classEmbedding)
                + bytes(positionEmbedding)
                + preLayrnorm.bytes()
                + postLayernorm.bytes()
                + bytes(visualProjection);
        for (Layer l : layers) {
            total += l.layerNorm1().bytes()
                    + l.layerNorm2().bytes()
                    + bytes(l.qkvBias())
                    + bytes(l.outBias())
                    + bytes(l.fc1Bias())
                    + bytes(l.fc2Bias());
            total += l.qkvProj().bytes()
                    + l.outProj().bytes()
                    + l.fc1().bytes()
                    + l.fc2().bytes();
        }
        return total;
    }

    private static long bytes(NDArray array) {
        return array == null ? 0 : array.getShape().size() * array.getDataType().getNumOfBytes();
    }

    /** A LayerNorm's scale and shift, both [E]. */
    public record Norm(NDArray weight, NDArray bias) {

        long bytes() {
            return ClipVisionWeights.bytes(weight) + ClipVisionWeights.bytes(bias);
        }
    }

    /**
     * One pre-norm encoder layer.
     *
     * @param layerNorm1 {@code layer_norm1} [E]
     * @param qkvProj    {@code self_attn.{q,k,v}_proj.weight} stacked: [3E, E], q rows pre-multiplied by 1/sqrt(D)
     * @param qkvBias    {@code self_attn.{q,k,v}_proj.bias} stacked: [3E], q part scaled likewise
     * @param outProj    {@code self_attn.out_proj.weight} [E, E]
     * @param outBias    {@code self_attn.out_proj.bias} [E]
     * @param layerNorm2 {@code layer_norm2} [E]
     * @param fc1        {@code mlp.fc1.weight} [I, E]
     * @param fc1Bias    {@code mlp.fc1.bias} [I]
     * @param fc2        {@code mlp.fc2.weight} [E, I]
     * @param fc2Bias    {@code mlp.fc2.bias} [E]
     */
    public record Layer(
            Norm layerNorm1,
            Projection qkvProj,
            NDArray qkvBias,
            Projection outProj,
            NDArray outBias,
            Norm layerNorm2,
            Projection fc1,
            NDArray fc1Bias,
            Projection fc2,
            NDArray fc2Bias) {}
}
