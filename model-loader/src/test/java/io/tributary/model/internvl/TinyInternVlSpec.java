package io.tributary.model.internvl;

/**
 * Sizes of a tiny InternVL vision side. {@link #modelTester()} is transformers' {@code InternVLVisionText2TextModelTester}:
 * a 64-px tile of 4-px patches (16 x 16 grid, 64 image tokens after pixel shuffle), hidden 32, 2 layers, 4 heads,
 * intermediate 128, feeding a Qwen2 decoder of hidden 128.
 *
 * @param hiddenAct "gelu" (InternViT's) or "quick_gelu" (what the ModelTester itself uses)
 */
public record TinyInternVlSpec(
        int hiddenSize,
        int intermediateSize,
        int layers,
        int heads,
        int imageSize,
        int patchSize,
        String hiddenAct,
        int llmHiddenSize) {

    public static TinyInternVlSpec modelTester() {
        return new TinyInternVlSpec(32, 128, 2, 4, 64, 4, "gelu", 128);
    }

    public TinyInternVlSpec withLlmHiddenSize(int size) {
        return new TinyInternVlSpec(hiddenSize, intermediateSize, layers, heads, imageSize, patchSize, hiddenAct, size);
    }

    public TinyInternVlSpec withHiddenAct(String act) {
        return new TinyInternVlSpec(
                hiddenSize, intermediateSize, layers, heads, imageSize, patchSize, act, llmHiddenSize);
    }

    public TinyInternVlSpec withLayers(int count) {
        return new TinyInternVlSpec(
                hiddenSize, intermediateSize, count, heads, imageSize, patchSize, hiddenAct, llmHiddenSize);
    }
}
