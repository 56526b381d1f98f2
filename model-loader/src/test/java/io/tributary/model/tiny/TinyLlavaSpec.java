package io.tributary.model.tiny;

import io.tributary.model.safetensors.SafetensorsDType;

/**
 * The shape of a generated LLaVA checkpoint. {@link #forTests()} takes its sizes from transformers'
 * {@code LlavaVisionText2TextModelTester}; the decoder keeps Llama's silu and the vocabulary is the tiny tokenizer's
 * plus {@code <image>} and {@code <pad>}, padded to {@link #TEXT_VOCABULARY_SIZE} as llava-hf pads 32002 to 32064.
 *
 * @param visionFeatureLayer {@code vision_feature_layer}; -2 (the penultimate layer) as in LLaVA-1.5
 * @param keepClassToken     {@code vision_feature_select_strategy} "full": the class token is one of the image's
 *                           positions too
 * @param sharp              weights large enough that every distribution is far from uniform (for parity tests,
 *                           see {@code SharpCheckpoint}); false initialises like transformers (std 0.02)
 */
public record TinyLlavaSpec(
        int textHidden,
        int textLayers,
        int textHeads,
        int textKvHeads,
        int textIntermediate,
        int maxPositions,
        int imageSize,
        int patchSize,
        int visionHidden,
        int visionLayers,
        int visionHeads,
        int visionIntermediate,
        int projectionDim,
        int visionFeatureLayer,
        boolean sharp,
        SafetensorsDType weightType,
        boolean keepClassToken) {

    public static final int IMAGE_TOKEN_ID = TinyTokenizer.VOCABULARY_SIZE;
    public static final int PAD_TOKEN_ID = TinyTokenizer.VOCABULARY_SIZE + 1;
    public static final int TEXT_VOCABULARY_SIZE = TinyTokenizer.VOCABULARY_SIZE + 64;
    public static final int NUM_CHANNELS = 3;

    public TinyLlavaSpec {
        if (textHidden % textHeads != 0 || (textHidden / textHeads) % 2 != 0 || textHeads % textKvHeads != 0) {
            throw new IllegalArgumentException("text hidden " + textHidden + " must split into " + textHeads
                    + " heads of even size grouped into " + textKvHeads + " kv heads");
        }
        if (visionHidden % visionHeads != 0 || imageSize % patchSize != 0) {
            throw new IllegalArgumentException("vision hidden must split into heads, image into patches");
        }
    }

    /** LlavaVisionText2TextModelTester's sizes: 8-px images of 2-px patches, width 32, 2 + 2 layers. */
    public static TinyLlavaSpec forTests() {
        return new TinyLlavaSpec(32, 2, 4, 4, 37, 512, 8, 2, 32, 2, 4, 37, 32, -2, false, SafetensorsDType.F32, false);
    }

    /**
     * The experts Tributary trains itself (see {@code io.tributary.tools.train}): 32-px images in 16 patches of
     * 8 px, a two-layer tower whose last layer (class token included) feeds the projector, and a two-layer decoder
     * of width 64.
     */
    public static TinyLlavaSpec trainable() {
        return new TinyLlavaSpec(
                64, 2, 4, 4, 172, 256, 32, 8, 64, 2, 4, 128, 64, -1, false, SafetensorsDType.F32, true);
    }

    public TinyLlavaSpec withSharpWeights(boolean sharpWeights) {
        return new TinyLlavaSpec(
                textHidden,
                textLayers,
                textHeads,
                textKvHeads,
                textIntermediate,
                maxPositions,
                imageSize,
                patchSize,
                visionHidden,
                visionLayers,
                visionHeads,
                visionIntermediate,
                projectionDim,
                visionFeatureLayer,
                sharpWeights,
                weightType,
                keepClassToken);
    }

    public TinyLlavaSpec withKvHeads(int kvHeads) {
        return new TinyLlavaSpec(
                textHidden,
                textLayers,
                textHeads,
                kvHeads,
                textIntermediate,
                maxPositions,
                imageSize,
                patchSize,
                visionHidden,
                visionLayers,
                visionHeads,
                visionIntermediate,
                projectionDim,
                visionFeatureLayer,
                sharp,
                weightType,
                keepClassToken);
    }

    public int textHeadDim() {
        return textHidden / textHeads;
    }

    /** The tower's patches per image. */
    public int patches() {
        return (imageSize / patchSize) * (imageSize / patchSize);
    }

    /** Decoder positions one image fills: one per patch, and the class token when kept. */
    public int tokensPerImage() {
        return patches() + (keepClassToken ? 1 : 0);
    }
}
