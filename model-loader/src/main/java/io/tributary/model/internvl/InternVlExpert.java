package io.tributary.model.internvl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.LoadOptions;
import io.tributary.model.ModelLoadException;
import io.tributary.model.NativeTarget;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.decoder.BatchDecoder;
import io.tributary.model.decoder.DecoderExpert;
import io.tributary.model.decoder.DecoderPrompt;
import io.tributary.model.decoder.LlamaModel;
import io.tributary.model.image.ImageProcessor;
import io.tributary.model.image.PixelValues;
import io.tributary.model.kernel.WeightPacker;
import io.tributary.model.llama.LlamaConfig;
import io.tributary.model.safetensors.SafetensorsCheckpoint;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;
import io.tributary.routing.refusal.ImageRefusedException;
import io.tributary.routing.refusal.PromptTooLongException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An InternVL 2.5 checkpoint as one expert of a mixture, in either key layout: OpenGVLab's {@code InternVLChatModel}
 * ({@code vision_model.*}, {@code mlp1.*}, {@code language_model.model.*}, {@code language_model.lm_head.weight})
 * or transformers' {@code InternVLForConditionalGeneration} ({@code model.vision_tower.*},
 * {@code model.multi_modal_projector.*}, {@code model.language_model.*}, {@code lm_head.weight}). InternViT, pixel
 * shuffle and projector ({@link InternVitModel}) feed a Qwen2 (or Llama) decoder ({@link LlamaModel}).
 *
 * <p>Thread-safe like the other experts: read-only shared weights, one manager per session. {@link #open} decodes
 * and tiles the images at once (a bad image fails the request there); the vision encoder and the splice run inside
 * the session's prefill step, so nothing native is held before it and no activation outlives it.
 */
public final class InternVlExpert implements DecoderExpert {

    /** What a prompt writes for one image: a single {@code <IMG_CONTEXT>}; the expert adds the rest. */
    public static final String IMAGE_PLACEHOLDER = InternVlSpecialTokens.IMG_CONTEXT;

    private final String name;
    private final NDManager manager;
    private final InternVlConfig config;
    private final InternVitModel vision;
    private final LlamaModel decoder;
    private final BatchDecoder batchDecoder;
    private final InternVlSpecialTokens tokens;
    private final ImageProcessor images;
    private final DataType dataType;

    private InternVlExpert(
            String name,
            NDManager manager,
            InternVlConfig config,
            InternVitModel vision,
            LlamaModel decoder,
            InternVlSpecialTokens tokens,
            ImageProcessor images,
            DataType dataType) {
        this.name = name;
        this.manager = manager;
        this.config = config;
        this.vision = vision;
        this.decoder = decoder;
        this.batchDecoder = new BatchDecoder(decoder, manager, dataType);
        this.tokens = tokens;
        this.images = images;
        this.dataType = dataType;
    }

    /**
     * Loads {@code config.json}, the tokenizer's image tokens and the weights of an InternVL checkpoint directory.
     * Decoder, vision encoder and projector are checked together: every missing, unexpected or mis-shaped tensor
     * is reported at once, by its name in the file and the file.
     *
     * @param images turns each request image into tiles ({@link InternVlConfig#imageProcessor})
     */
    public static InternVlExpert load(String name, Path directory, LoadOptions options, ImageProcessor images) {
        Objects.requireNonNull(images, "images");
        InternVlCheckpointConfig checkpoint = InternVlCheckpointConfig.read(directory);
        InternVlConfig config = checkpoint.vision();
        SafetensorsCheckpoint files = SafetensorsCheckpoint.open(directory, options.weightLoading());
        CheckpointTensors tensors = CheckpointTensors.of(files);
        InternVlLayout layout = layout(files, config);
        Map<String, long[]> expected = new LinkedHashMap<>(LlamaModel.expectedShapes(tensors, checkpoint.text()));
        // Vision tensors by their canonical names: CheckpointTensors strips transformers' "model." prefix.
        InternVlLayout canonical = layout == InternVlLayout.TRANSFORMERS ? InternVlLayout.TRANSFORMERS_LEGACY : layout;
        expected.putAll(InternVitWeightsLoader.expectedShapes(canonical, config));
        tensors.validate(expected, LlamaModel.ignoredTensors(), "InternVL");
        NativeTarget.prepareInferenceThread();
        NDManager manager = NativeTarget.newModelManager(options, "expert-" + name);
        try {
            DataType dataType = NativeTarget.dataType(options);
            InternVitModel vision =
                    new InternVitModel(config, InternVitWeightsLoader.load(files, layout, config, manager, dataType));
            LlamaModel decoder =
                    LlamaModel.load(tensors, checkpoint.text(), manager, dataType, WeightPacker.of(options, manager));
            return new InternVlExpert(name, manager, config, vision, decoder, checkpoint.tokens(), images, dataType);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** The layout the keys are written in; the config's when the patch embedding is missing (then reported). */
    private static InternVlLayout layout(SafetensorsCheckpoint files, InternVlConfig config) {
        try {
            return InternVitWeightsLoader.detectLayout(files);
        } catch (ModelLoadException e) {
            return config.layout();
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int vocabularySize() {
        return decoder.config().vocabSize();
    }

    @Override
    public int maxSequenceLength() {
        return decoder.config().maxPositionEmbeddings();
    }

    public InternVlConfig config() {
        return config;
    }

    public LlamaConfig textConfig() {
        return decoder.config();
    }

    /** The ids of {@code <img>}, {@code <IMG_CONTEXT>} (the prompt's placeholder) and {@code </img>}. */
    public InternVlSpecialTokens specialTokens() {
        return tokens;
    }

    /**
     * Each image's placeholder becomes {@code <img>}, 256 tokens per tile and {@code </img>}; the tile count comes
     * from the image's header.
     */
    @Override
    public int promptPositions(Prompt prompt) {
        int positions = prompt.tokenIds().length;
        for (ImageInput image : prompt.images()) {
            positions += 1 + config.tokensPerTile() * images.tileCount(image);
        }
        return positions;
    }

    /**
     * @throws ImageRefusedException    when the number of {@code <IMG_CONTEXT>} placeholders differs from the number
     *                                  of images, or an image cannot be read
     * @throws PromptTooLongException   when the expanded prompt exceeds {@code max_position_embeddings}
     * @throws IllegalArgumentException when a token id is outside the vocabulary: the tokenizer is not this
     *                                  expert's
     */
    @Override
    public ExpertSession open(Prompt prompt) {
        int[] ids = prompt.tokenIds();
        for (int id : ids) {
            if (id < 0 || id >= vocabularySize()) {
                throw new IllegalArgumentException(
                        "token id " + id + " is outside expert '" + name + "' vocabulary of " + vocabularySize());
            }
        }
        InternVlPrompt.checkPlaceholders(ids, tokens, prompt.images().size()); // before any image is decoded
        List<PixelValues> tiles = new ArrayList<>();
        int[] tilesPerImage = new int[prompt.images().size()];
        for (int i = 0; i < tilesPerImage.length; i++) {
            List<PixelValues> imageTiles = preprocess(prompt.images().get(i));
            tilesPerImage[i] = imageTiles.size();
            tiles.addAll(imageTiles);
        }
        InternVlPrompt expanded = InternVlPrompt.expand(ids, tokens, config.tokensPerTile(), tilesPerImage);
        if (expanded.length() > maxSequenceLength()) {
            throw new PromptTooLongException("prompt of " + expanded.length() + " positions (" + tiles.size()
                    + " image tiles of " + config.tokensPerTile() + " tokens) exceeds expert '" + name
                    + "' max_position_embeddings of " + maxSequenceLength());
        }
        int[][] runs = expanded.featureRuns();
        DecoderPrompt decoderPrompt = DecoderPrompt.withImages(
                expanded.tokenIds(),
                expanded.text(),
                (model, step) -> embed(expanded, tiles, step),
                prompt.images(),
                Arrays.stream(runs).mapToInt(run -> run[0]).toArray(),
                Arrays.stream(runs).mapToInt(run -> run[1]).toArray());
        return batchDecoder.open(decoderPrompt);
    }

    @Override
    public BatchDecoder batchDecoder() {
        return batchDecoder;
    }

    private List<PixelValues> preprocess(ImageInput input) {
        List<PixelValues> tiles = images.process(input);
        if (tiles.isEmpty()) {
            throw new IllegalArgumentException("the image processor gave no tiles for an image");
        }
        return tiles;
    }

    /**
     * The decoder's input [T, H]: token embeddings everywhere ({@code <img>} and {@code </img>} included), the
     * image features [tiles * tokensPerTile, H] in place of the {@code <IMG_CONTEXT>} runs, image by image.
     */
    NDArray embed(InternVlPrompt prompt, List<PixelValues> tiles, NDManager step) {
        NDArray tokenEmbeddings = decoder.embedTokens(prompt.tokenIds(), step); // [T, H]
        if (tiles.isEmpty()) {
            return tokenEmbeddings;
        }
        NDArray features = imageFeatures(tiles, step);
        NDList pieces = new NDList();
        int position = 0;
        int featureRow = 0;
        for (int[] run : prompt.featureRuns()) {
            pieces.add(tokenEmbeddings.get(new NDIndex().addSliceDim(position, run[0])));
            pieces.add(features.get(new NDIndex().addSliceDim(featureRow, featureRow + run[1])));
            featureRow += run[1];
            position = run[0] + run[1];
        }
        pieces.add(tokenEmbeddings.get(new NDIndex().addSliceDim(position, prompt.length())));
        return NDArrays.concat(pieces, 0);
    }

    /** All tiles of all images, in order: [tiles * tokensPerTile, H], owned by {@code step}. */
    NDArray imageFeatures(List<PixelValues> tiles, NDManager step) {
        return vision.forward(InternVlVisionEncoder.pixels(tiles, config, dataType, step));
    }

    /** NDArrays alive in this expert: weights, RoPE tables, the KV caches of open sessions. For leak checks. */
    @Override
    public int liveArrays() {
        return NativeTarget.liveArrays(manager);
    }

    @Override
    public void close() {
        batchDecoder.close();
        manager.close();
    }

    @Override
    public String toString() {
        return "InternVlExpert[" + name + ", " + config.layersToRun() + "+"
                + decoder.config().numHiddenLayers() + " layers, " + config.layout() + ", " + dataType + "]";
    }
}
