package io.tributary.model.llava;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.tributary.model.clip.ClipVisionModel;
import io.tributary.model.decoder.LlamaModel;
import io.tributary.model.image.PixelValues;

import java.util.Arrays;
import java.util.List;

/**
 * transformers' {@code LlavaForConditionalGeneration} up to the decoder's input: the CLIP tower's hidden states of
 * the feature layer(s), the class token dropped or kept, projected to the decoder's width and spliced into the
 * token embeddings where the image placeholders were. The decoder then runs as for text.
 */
final class LlavaModel {

    private final LlavaConfig config;
    private final ClipVisionModel vision;
    private final LlavaProjector projector;
    private final LlamaModel decoder;

    LlavaModel(LlavaConfig config, ClipVisionModel vision, LlavaProjector projector, LlamaModel decoder) {
        this.config = config;
        this.vision = vision;
        this.projector = projector;
        this.decoder = decoder;
    }

    LlavaConfig config() {
        return config;
    }

    LlamaModel decoder() {
        return decoder;
    }

    ClipVisionModel vision() {
        return vision;
    }

    LlavaProjector projector() {
        return projector;
    }

    /** Hidden state {@code index} of the tower for every image of a request: [B, N + 1, E], owned by the step. */
    @FunctionalInterface
    interface TowerStates {
        NDArray state(int index);
    }

    /** Image features as the decoder reads them: [B, tokensPerImage, H], owned by {@code step}. */
    NDArray imageFeatures(List<PixelValues> images, NDManager step) {
        return projector.project(selectedFeatures(images, step));
    }

    /** The tower's features before the projector: [B, tokensPerImage, F]. */
    NDArray selectedFeatures(List<PixelValues> images, NDManager step) {
        return selectedFeatures(runTower(images, step));
    }

    /** Runs the tower over a batch of images up to the deepest feature layer. */
    TowerStates runTower(List<PixelValues> images, NDManager step) {
        return vision.hiddenStates(vision.pixels(images, step), deepestFeatureLayer())::get;
    }

    /** The deepest hidden state of the tower the projector reads: the tower runs no further. */
    int deepestFeatureLayer() {
        return Arrays.stream(config.resolvedFeatureLayers()).max().orElseThrow();
    }

    /** The feature layers' states, the class token dropped or kept, concatenated: [B, tokensPerImage, F]. */
    NDArray selectedFeatures(TowerStates states) {
        NDList selected = new NDList();
        for (int layer : config.resolvedFeatureLayers()) {
            NDArray state = states.state(layer); // [B, N + 1, E]
            selected.add(config.keepClassToken() ? state : state.get(new NDIndex(":, 1:")));
        }
        return selected.size() == 1 ? selected.get(0) : NDArrays.concat(selected, 2);
    }

    /**
     * The decoder's input [T, H]: token embeddings at text positions, each image's projected features at its
     * placeholder's positions. {@code images} is not read for a prompt without images.
     */
    NDArray embed(ImagePlaceholders prompt, TowerStates images, NDManager step) {
        NDArray text = decoder.embedTokens(prompt.textTokenIds(), step); // [text positions, H]
        if (prompt.imageStarts().length == 0) {
            return text;
        }
        NDArray features = projector.project(selectedFeatures(images));
        int perImage = config.tokensPerImage();
        NDList pieces = new NDList();
        int textRow = 0;
        int position = 0;
        for (int image = 0; image < prompt.imageStarts().length; image++) {
            int start = prompt.imageStarts()[image];
            int textRun = start - position;
            if (textRun > 0) {
                pieces.add(text.get(new NDIndex().addSliceDim(textRow, textRow + textRun)));
                textRow += textRun;
            }
            pieces.add(features.get(image)); // [perImage, H]
            position = start + perImage;
        }
        if (position < prompt.length()) {
            pieces.add(text.get(new NDIndex().addSliceDim(textRow, textRow + prompt.length() - position)));
        }
        return NDArrays.concat(pieces, 0);
    }
}
