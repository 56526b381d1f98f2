package io.tributary.model.llava;

import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.tributary.model.clip.ClipVisionConfig;
import io.tributary.model.image.ImageProcessor;
import io.tributary.model.image.PixelValues;
import io.tributary.model.vision.EncodingKey;
import io.tributary.model.vision.SharedTower;
import io.tributary.model.vision.TowerOutputs;
import io.tributary.routing.ImageInput;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * How a LLaVA expert turns a request's images into its tower's hidden states. Preprocessing happens at
 * {@link #prepare} (a bad image fails the request when the session opens); the tower runs inside the prefill step,
 * either the expert's own tower over the whole batch, or a {@link SharedTower} image by image through its encoder
 * cache, so experts with the same frozen CLIP encode each image once per request between them.
 */
final class LlavaImages {

    /** A request's images, ready for the prefill step. */
    @FunctionalInterface
    interface Prepared {
        /** The images' tower states, owned by {@code step}; only called for a prompt with images. */
        LlavaModel.TowerStates states(LlavaModel model, NDManager step);
    }

    private static final Prepared NO_IMAGES = (model, step) -> {
        throw new IllegalStateException("a prompt without images has no tower states");
    };

    private final String expertName;
    private final ImageProcessor processor;
    private final ClipVisionConfig vision;
    private final SharedTower shared;
    private final Object preprocessing;

    /** @param shared the tower held in a registry, or null when the expert runs its own */
    LlavaImages(String expertName, ImageProcessor processor, ClipVisionConfig vision, SharedTower shared) {
        this.expertName = expertName;
        this.processor = processor;
        this.vision = vision;
        this.shared = shared;
        this.preprocessing = EncodingKey.preprocessing(processor);
    }

    Prepared prepare(List<ImageInput> inputs) {
        if (inputs.isEmpty()) {
            return NO_IMAGES;
        }
        if (shared == null) {
            List<PixelValues> pixels = inputs.stream().map(this::preprocess).toList();
            return (model, step) -> model.runTower(pixels, step);
        }
        List<EncodingKey> keys = new ArrayList<>();
        List<Supplier<PixelValues>> pixels = new ArrayList<>();
        for (ImageInput input : inputs) {
            EncodingKey key = shared.key(preprocessing, input);
            keys.add(key);
            if (shared.isCached(key)) {
                pixels.add(() -> preprocess(input)); // only if evicted before the prefill: the bytes passed before
            } else {
                PixelValues ready = preprocess(input);
                pixels.add(() -> ready);
            }
        }
        return (model, step) -> {
            List<TowerOutputs> outputs = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                outputs.add(shared.encode(keys.get(i), pixels.get(i), step));
            }
            // [N + 1, E] per image, stacked into the batch [B, N + 1, E] the model reads; all in the step.
            return index -> NDArrays.stack(
                    new NDList(outputs.stream().map(o -> o.hiddenState(index)).toList()), 0);
        };
    }

    /**
     * As {@link #prepare}, but decoding and preprocessing the images only if their states are asked for: for images
     * whose bytes were prepared without error before (the prefix cache holds their positions).
     */
    Prepared prepareWhenRun(List<ImageInput> inputs) {
        return inputs.isEmpty() ? NO_IMAGES : (model, step) -> prepare(inputs).states(model, step);
    }

    private PixelValues preprocess(ImageInput input) {
        List<PixelValues> tiles = processor.process(input);
        if (tiles.size() != 1) {
            throw new IllegalArgumentException(
                    "the image processor gave " + tiles.size() + " tiles for one image; LLaVA-1.5 reads exactly one");
        }
        PixelValues image = tiles.get(0);
        int c = vision.numChannels();
        int s = vision.imageSize();
        if (image.channels() != c || image.height() != s || image.width() != s) {
            throw new IllegalArgumentException("image preprocessed to " + image.channels() + "x" + image.height() + "x"
                    + image.width() + ", expert '" + expertName + "' reads " + c + "x" + s + "x" + s);
        }
        return image;
    }
}
