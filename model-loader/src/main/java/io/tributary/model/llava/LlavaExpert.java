package io.tributary.model.llava;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeMemory;
import io.tributary.model.NativeTarget;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.clip.ClipVisionModel;
import io.tributary.model.image.ImageProcessor;
import io.tributary.model.image.PixelValues;
import io.tributary.model.llama.DecoderPrompt;
import io.tributary.model.llama.LlamaModel;
import io.tributary.model.llama.LlamaSession;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A LLaVA-1.5 checkpoint ({@code LlavaForConditionalGeneration}, llava-hf layout in any key spelling) as one expert
 * of a mixture. Thread-safe like the Llama expert: read-only shared weights, one manager per session.
 *
 * <p>{@link #open} decodes and preprocesses the images at once (a bad image fails the request there); the vision
 * tower, projector and splice run inside the session's prefill step, so nothing native is held before it.
 */
public final class LlavaExpert implements Expert, NativeMemory {

    private final String name;
    private final NDManager manager;
    private final LlavaModel model;
    private final ImageProcessor images;
    private final DataType dataType;

    private LlavaExpert(String name, NDManager manager, LlavaModel model, ImageProcessor images, DataType dataType) {
        this.name = name;
        this.manager = manager;
        this.model = model;
        this.images = images;
        this.dataType = dataType;
    }

    /**
     * Loads {@code config.json} and the weights of a LLaVA checkpoint directory; the decoder, vision tower and
     * projector are checked together, so every missing, unexpected or mis-shaped tensor is reported at once.
     *
     * @param images turns each request image into CLIP pixel values (one {@link PixelValues} per image)
     */
    public static LlavaExpert load(String name, Path directory, LoadOptions options, ImageProcessor images) {
        Objects.requireNonNull(images, "images");
        LlavaConfig config = LlavaConfig.read(directory.resolve("config.json"));
        CheckpointTensors tensors = CheckpointTensors.open(directory);
        Map<String, long[]> expected = new LinkedHashMap<>(LlamaModel.expectedShapes(tensors, config.text()));
        expected.putAll(ClipVisionModel.expectedShapes(tensors, config.vision(), ClipVisionModel.LLAVA_PREFIX));
        expected.putAll(LlavaProjector.expectedShapes(config));
        tensors.validate(expected, LlamaModel.ignoredTensors()
                .or(ClipVisionModel.ignoredTensors(ClipVisionModel.LLAVA_PREFIX)), "LLaVA");
        NativeTarget.prepareInferenceThread();
        NDManager manager = NativeTarget.newModelManager(options, "expert-" + name);
        try {
            DataType dataType = NativeTarget.dataType(options);
            LlavaModel model = new LlavaModel(config,
                    ClipVisionModel.load(tensors, config.vision(), ClipVisionModel.LLAVA_PREFIX, manager, dataType),
                    LlavaProjector.load(tensors, config, manager, dataType),
                    LlamaModel.load(tensors, config.text(), manager, dataType));
            return new LlavaExpert(name, manager, model, images, dataType);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int vocabularySize() {
        return model.config().text().vocabSize();
    }

    @Override
    public int maxSequenceLength() {
        return model.config().text().maxPositionEmbeddings();
    }

    public LlavaConfig config() {
        return model.config();
    }

    LlavaModel model() {
        return model;
    }

    /** The placeholder token id one image takes in a prompt ({@code image_token_index}). */
    public int imageTokenId() {
        return model.config().imageTokenIndex();
    }

    /**
     * @throws IllegalArgumentException when the number of placeholder tokens differs from the number of images,
     *                                  an image cannot be read, the expanded prompt exceeds
     *                                  {@code max_position_embeddings}, or a token id is outside the vocabulary
     */
    @Override
    public ExpertSession open(Prompt prompt) {
        LlavaConfig config = model.config();
        ImagePlaceholders expanded = ImagePlaceholders.expand(prompt.tokenIds(), config.imageTokenIndex(),
                config.tokensPerImage(), prompt.images().size());
        for (int id : expanded.textTokenIds()) {
            if (id < 0 || id >= vocabularySize()) {
                throw new IllegalArgumentException("token id " + id + " is outside expert '" + name
                        + "' vocabulary of " + vocabularySize());
            }
        }
        if (expanded.length() > maxSequenceLength()) {
            throw new IllegalArgumentException("prompt of " + expanded.length() + " positions (images expanded to "
                    + config.tokensPerImage() + " each) exceeds expert '" + name + "' max_position_embeddings of "
                    + maxSequenceLength());
        }
        List<PixelValues> pixels = preprocess(prompt.images());
        DecoderPrompt decoderPrompt = new DecoderPrompt(expanded.tokenIds(), expanded.text(),
                (decoder, step) -> model.embed(expanded, pixels, step));
        return new LlamaSession(model.decoder(), manager.newSubManager(), dataType, decoderPrompt);
    }

    private List<PixelValues> preprocess(List<ImageInput> inputs) {
        List<PixelValues> pixels = new ArrayList<>();
        for (ImageInput input : inputs) {
            List<PixelValues> tiles = images.process(input);
            if (tiles.size() != 1) {
                throw new IllegalArgumentException("the image processor gave " + tiles.size()
                        + " tiles for one image; LLaVA-1.5 reads exactly one");
            }
            PixelValues image = tiles.get(0);
            int c = config().vision().numChannels();
            int s = config().vision().imageSize();
            if (image.channels() != c || image.height() != s || image.width() != s) {
                throw new IllegalArgumentException("image preprocessed to " + image.channels() + "x"
                        + image.height() + "x" + image.width() + ", expert '" + name + "' reads " + c + "x" + s
                        + "x" + s);
            }
            pixels.add(image);
        }
        return pixels;
    }

    /** NDArrays alive in this expert: weights, RoPE tables, the KV caches of open sessions. For leak checks. */
    @Override
    public int liveArrays() {
        return NativeTarget.liveArrays(manager);
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return "LlavaExpert[" + name + ", " + config().vision().numHiddenLayers() + "+"
                + config().text().numHiddenLayers() + " layers, " + dataType + "]";
    }
}
