package io.tributary.model.llava;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.clip.ClipVisionModel;
import io.tributary.model.decoder.BatchDecoder;
import io.tributary.model.decoder.DecoderExpert;
import io.tributary.model.decoder.DecoderPrompt;
import io.tributary.model.decoder.LlamaModel;
import io.tributary.model.image.ImageProcessor;
import io.tributary.model.kernel.WeightPacker;
import io.tributary.model.vision.SharedTower;
import io.tributary.model.vision.VisionTowers;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import io.tributary.routing.refusal.ImageRefusedException;
import io.tributary.routing.refusal.PromptTooLongException;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A LLaVA-1.5 checkpoint ({@code LlavaForConditionalGeneration}, llava-hf layout in any key spelling) as one expert
 * of a mixture. Thread-safe like the Llama expert: read-only shared weights, one manager per session.
 *
 * <p>{@link #open} decodes and preprocesses the images at once (a bad image fails the request there); the vision
 * tower, projector and splice run inside the session's prefill step, so nothing native is held before it. Loaded
 * with a {@link VisionTowers}, the tower is the registry's, shared with every expert (and router) of the same CLIP
 * content, and each image is encoded once per request between them ({@link LlavaImages}).
 */
public final class LlavaExpert implements DecoderExpert {

    private final String name;
    private final NDManager manager;
    private final LlavaModel model;
    private final BatchDecoder batchDecoder;
    private final LlavaImages images;
    private final SharedTower sharedTower; // null when the tower's weights are the expert's own
    private final DataType dataType;

    private LlavaExpert(
            String name,
            NDManager manager,
            LlavaModel model,
            LlavaImages images,
            SharedTower sharedTower,
            DataType dataType) {
        this.name = name;
        this.manager = manager;
        this.model = model;
        this.batchDecoder = new BatchDecoder(model.decoder(), manager, dataType);
        this.images = images;
        this.sharedTower = sharedTower;
        this.dataType = dataType;
    }

    /**
     * Loads {@code config.json} and the weights of a LLaVA checkpoint directory; the decoder, vision tower and
     * projector are checked together, so every missing, unexpected or mis-shaped tensor is reported at once.
     *
     * @param images turns each request image into CLIP pixel values (one {@link PixelValues} per image)
     */
    public static LlavaExpert load(String name, Path directory, LoadOptions options, ImageProcessor images) {
        return load(name, directory, options, images, null);
    }

    /**
     * As {@link #load(String, Path, LoadOptions, ImageProcessor)}, the vision tower taken from {@code towers}: held
     * once for every expert (and router) whose tower has the same content, and each image encoded once per request
     * between them. With {@code towers} null the expert holds and runs its own tower.
     */
    public static LlavaExpert load(
            String name, Path directory, LoadOptions options, ImageProcessor images, VisionTowers towers) {
        Objects.requireNonNull(images, "images");
        LlavaConfig config = LlavaConfig.read(directory.resolve("config.json"));
        CheckpointTensors tensors = CheckpointTensors.open(directory, options.weightLoading());
        validate(tensors, config);
        NativeTarget.prepareInferenceThread();
        NDManager manager = NativeTarget.newModelManager(options, "expert-" + name);
        SharedTower shared = null;
        try {
            DataType dataType = NativeTarget.dataType(options);
            ClipVisionModel vision;
            if (towers == null) {
                vision = ClipVisionModel.load(
                        tensors,
                        config.vision(),
                        ClipVisionModel.LLAVA_PREFIX,
                        manager,
                        dataType,
                        WeightPacker.forVisionTower(options, manager));
            } else {
                shared = towers.acquire(
                        tensors,
                        config.vision(),
                        ClipVisionModel.LLAVA_PREFIX,
                        options,
                        config.resolvedFeatureLayers(),
                        false);
                vision = shared.model();
            }
            LlavaModel model = new LlavaModel(
                    config,
                    vision,
                    LlavaProjector.load(tensors, config, manager, dataType),
                    LlamaModel.load(tensors, config.text(), manager, dataType, WeightPacker.of(options, manager)));
            return new LlavaExpert(
                    name, manager, model, new LlavaImages(name, images, config.vision(), shared), shared, dataType);
        } catch (RuntimeException e) {
            if (shared != null) {
                shared.close();
            }
            manager.close();
            throw e;
        }
    }

    /** Checks the decoder, vision tower and projector together, reporting every bad tensor at once. */
    static void validate(CheckpointTensors tensors, LlavaConfig config) {
        Map<String, long[]> expected = new LinkedHashMap<>(LlamaModel.expectedShapes(tensors, config.text()));
        expected.putAll(ClipVisionModel.expectedShapes(tensors, config.vision(), ClipVisionModel.LLAVA_PREFIX));
        expected.putAll(LlavaProjector.expectedShapes(config));
        tensors.validate(
                expected,
                LlamaModel.ignoredTensors().or(ClipVisionModel.ignoredTensors(ClipVisionModel.LLAVA_PREFIX)),
                "LLaVA");
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

    /** Each image's placeholder becomes {@code tokensPerImage} positions (576 for 336-px CLIP). */
    @Override
    public int promptPositions(Prompt prompt) {
        return prompt.tokenIds().length
                + prompt.images().size() * (model.config().tokensPerImage() - 1);
    }

    /**
     * @throws ImageRefusedException    when the number of placeholder tokens differs from the number of images,
     *                                  or an image cannot be read
     * @throws PromptTooLongException   when the expanded prompt exceeds {@code max_position_embeddings}
     * @throws IllegalArgumentException when a token id is outside the vocabulary: the tokenizer is not this
     *                                  expert's
     */
    @Override
    public ExpertSession open(Prompt prompt) {
        LlavaConfig config = model.config();
        ImagePlaceholders expanded = ImagePlaceholders.expand(
                prompt.tokenIds(),
                config.imageTokenIndex(),
                config.tokensPerImage(),
                prompt.images().size());
        for (int id : expanded.textTokenIds()) {
            if (id < 0 || id >= vocabularySize()) {
                throw new IllegalArgumentException(
                        "token id " + id + " is outside expert '" + name + "' vocabulary of " + vocabularySize());
            }
        }
        if (expanded.length() > maxSequenceLength()) {
            throw new PromptTooLongException("prompt of " + expanded.length() + " positions (images expanded to "
                    + config.tokensPerImage() + " each) exceeds expert '" + name + "' max_position_embeddings of "
                    + maxSequenceLength());
        }
        int[] positionsPerImage = new int[prompt.images().size()];
        java.util.Arrays.fill(positionsPerImage, config.tokensPerImage());
        DecoderPrompt layout = DecoderPrompt.withImages(
                expanded.tokenIds(),
                expanded.text(),
                (decoder, step) -> {
                    throw new IllegalStateException("embedded only once its images are prepared");
                },
                prompt.images(),
                expanded.imageStarts(),
                positionsPerImage);
        // Images whose positions the prefix cache holds were read from these very bytes before: they are decoded
        // only if the tower runs after all.
        boolean seenBefore = !prompt.images().isEmpty() && batchDecoder.cachedPositions(layout) >= layout.imagesEnd();
        LlavaImages.Prepared prepared =
                seenBefore ? images.prepareWhenRun(prompt.images()) : images.prepare(prompt.images());
        return batchDecoder.open(layout.withEmbedder((decoder, step) ->
                model.embed(expanded, prompt.images().isEmpty() ? null : prepared.states(model, step), step)));
    }

    @Override
    public BatchDecoder batchDecoder() {
        return batchDecoder;
    }

    /**
     * NDArrays alive in this expert: weights, RoPE tables, the KV caches of open sessions. For leak checks. A shared
     * tower's weights and cached encodings are counted by its {@link VisionTowers}, not here.
     */
    @Override
    public int liveArrays() {
        return NativeTarget.liveArrays(manager);
    }

    @Override
    public void close() {
        batchDecoder.close();
        manager.close();
        if (sharedTower != null) {
            sharedTower.close();
        }
    }

    @Override
    public String toString() {
        return "LlavaExpert[" + name + ", " + config().vision().numHiddenLayers() + "+"
                + config().text().numHiddenLayers() + " layers, " + dataType + "]";
    }
}
