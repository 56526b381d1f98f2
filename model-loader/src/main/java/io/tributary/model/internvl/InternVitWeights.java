package io.tributary.model.internvl;

import ai.djl.ndarray.NDArray;

import java.util.List;

/**
 * The vision encoder's and projector's weights, loaded by checkpoint name and used as stored, so a mapped
 * checkpoint is not copied.
 * Shapes: H = vision hidden_size, I = intermediate_size, P = patch_size, G = patches per side, L = the LLM's
 * hidden size, F = shuffle factor (2).
 *
 * @param patchEmbedding {@code embeddings.patch_embedding.weight} [H, 3, P, P] flattened to [H, 3*P*P]: the stride-P
 *                       convolution as one matmul over patches flattened in (channel, row, column) order
 * @param patchBias      {@code embeddings.patch_embedding.bias} [H]
 * @param classToken     {@code embeddings.class_embedding} [1, 1, H] plus position 0 of the position embedding: [1, H]
 * @param patchPositions {@code embeddings.position_embedding} [1, G*G + 1, H] without position 0: [G*G, H]
 * @param layers         the encoder layers that run ({@code select_layer} may leave the last ones out)
 */
record InternVitWeights(
        NDArray patchEmbedding,
        NDArray patchBias,
        NDArray classToken,
        NDArray patchPositions,
        List<Layer> layers,
        Projector projector) {

    InternVitWeights {
        layers = List.copyOf(layers);
    }

    /**
     * One encoder layer. The layer scales and the attention scale are applied to activations, not folded into
     * weights: the extra multiplies are a thousandth of a layer's work, while folding would copy qkv, proj and fc2,
     * two thirds of a mapped checkpoint's layer.
     *
     * @param norm1     {@code norm1.weight} [H] (transformers: {@code layernorm_before})
     * @param norm1Bias {@code norm1.bias} [H], null for rms_norm
     * @param qkv       {@code attn.qkv.weight} [3H, H], rows q, k, v (transformers: {@code attention.{q,k,v}_proj})
     * @param qkvBias   {@code attn.qkv.bias} [3H], null without qkv_bias
     * @param proj      {@code attn.proj.weight} [H, H] ({@code attention.projection_layer})
     * @param projBias  {@code attn.proj.bias} [H]
     * @param ls1       {@code ls1} [H] (transformers: {@code lambda_1}), scales the attention output
     * @param norm2     {@code norm2.weight} [H] (transformers: {@code layernorm_after})
     * @param norm2Bias {@code norm2.bias} [H], null for rms_norm
     * @param fc1       {@code mlp.fc1.weight} [I, H]
     * @param fc1Bias   {@code mlp.fc1.bias} [I]
     * @param fc2       {@code mlp.fc2.weight} [H, I]
     * @param fc2Bias   {@code mlp.fc2.bias} [H]
     * @param ls2       {@code ls2} [H] (transformers: {@code lambda_2}), scales the MLP output
     */
    record Layer(
            NDArray norm1,
            NDArray norm1Bias,
            NDArray qkv,
            NDArray qkvBias,
            NDArray proj,
            NDArray projBias,
            NDArray ls1,
            NDArray norm2,
            NDArray norm2Bias,
            NDArray fc1,
            NDArray fc1Bias,
            NDArray fc2,
            NDArray fc2Bias,
            NDArray ls2) {}

    /**
     * {@code mlp1} (transformers: {@code multi_modal_projector}): LayerNorm(F*F*H), Linear(F*F*H, L), GELU,
     * Linear(L, L).
     *
     * @param norm     {@code mlp1.0.weight} [F*F*H]
     * @param normBias {@code mlp1.0.bias} [F*F*H]
     * @param linear1  {@code mlp1.1.weight} [L, F*F*H]
     * @param bias1    {@code mlp1.1.bias} [L]
     * @param linear2  {@code mlp1.3.weight} [L, L]
     * @param bias2    {@code mlp1.3.bias} [L]
     */
    record Projector(NDArray norm, NDArray normBias, NDArray linear1, NDArray bias1, NDArray linear2, NDArray bias2) {}
}
