package io.tributary.model.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.core.Linear;
import io.tributary.model.AutoPrecision;
import io.tributary.model.LoadOptions;
import io.tributary.model.ModelLoadException;
import io.tributary.model.NativeMemory;
import io.tributary.model.NativeTarget;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.clip.ClipVisionConfig;
import io.tributary.model.clip.ClipVisionModel;
import io.tributary.model.image.ClipImageProcessor;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.image.PixelValues;
import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;
import io.tributary.routing.refusal.ImageRefusedException;
import io.tributary.routing.router.FeatureExtractor;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The router's view of a request as the paper computes it: CLIP's image embedding (transformers'
 * {@code get_image_features}: post_layernorm of the last layer's class token, then {@code visual_projection}), the
 * mean over the prompt's images; empty for a text-only prompt. Reads a Hugging Face CLIP checkpoint
 * ({@code CLIPVisionModelWithProjection}, or {@code CLIPModel}, whose text half is ignored) and its
 * {@code preprocessor_config.json}.
 *
 * <p>The tower comes from a {@link VisionTowers}: when the experts' frozen CLIP is the router's (same content
 * digest), one encoder run per image serves the router and every expert. Thread-safe; closes its hold on close.
 */
public final class ClipFeatureExtractor implements FeatureExtractor, NativeMemory, AutoCloseable {

    /** Prompts' features kept, by their images' keys: a few kilobytes each. */
    static final int REMEMBERED_FEATURES = 1_024;

    private final NDManager manager;
    private final SharedTower tower;
    private final NDArray projection; // visual_projection.weight [P, E]
    private final ClipImageProcessor images;
    private final Object preprocessing;
    // The same images again (a retry, another question about a picture) are routed without a native call: the tower's
    // own cache would skip the encoder, but copying its output and projecting it cost more than the rest of a
    // cached prompt's first step.
    private final Map<List<EncodingKey>, float[]> remembered = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<List<EncodingKey>, float[]> eldest) {
            return size() > REMEMBERED_FEATURES;
        }
    };

    private ClipFeatureExtractor(NDManager manager, SharedTower tower, NDArray projection, ClipImageProcessor images) {
        this.manager = manager;
        this.tower = tower;
        this.projection = projection;
        this.images = images;
        this.preprocessing = EncodingKey.preprocessing(images);
    }

    /**
     * @param towers where the tower is held and its encodings cached (the mixture's, to share with its experts)
     * @throws ModelLoadException if the checkpoint is not a CLIP vision model with a projection, or broken
     */
    public static ClipFeatureExtractor load(
            Path directory, LoadOptions engine, ImageLimits limits, VisionTowers towers) {
        LoadOptions options = AutoPrecision.resolve(engine, directory);
        ClipVisionConfig config = readConfig(directory.resolve("config.json"));
        ClipImageProcessor images = imageProcessor(directory, config, limits);
        CheckpointTensors tensors = CheckpointTensors.open(directory, options.weightLoading());
        String projectionKey = ClipVisionModel.projectionKey("");
        if (!tensors.contains(projectionKey)) {
            throw new ModelLoadException(directory + ": no '" + projectionKey + "': the router reads CLIP's projected"
                    + " image embedding (CLIPVisionModelWithProjection or CLIPModel), not a bare vision model");
        }
        Map<String, long[]> expected = new LinkedHashMap<>(ClipVisionModel.expectedShapes(tensors, config, ""));
        Predicate<String> textHalf = name ->
                name.startsWith("text_model.") || name.equals("text_projection.weight") || name.equals("logit_scale");
        tensors.validate(expected, ClipVisionModel.ignoredTensors("").or(textHalf), "CLIP");
        NativeTarget.prepareInferenceThread();
        SharedTower tower = towers.acquire(tensors, config, "", options, new int[0], true);
        NDManager manager = NativeTarget.newModelManager(options, "router-clip");
        try {
            NDArray projection = tensors.load(projectionKey, manager, NativeTarget.dataType(options));
            return new ClipFeatureExtractor(manager, tower, projection, images);
        } catch (RuntimeException e) {
            manager.close();
            tower.close();
            throw e;
        }
    }

    /**
     * Checks the checkpoint's configuration files without reading a weight, so that a mixture can refuse a broken
     * router before loading its experts.
     *
     * @return the length of the features the extractor will give: {@code projection_dim}
     * @throws ModelLoadException if the configuration is missing, unreadable or inconsistent
     */
    public static int featureDimension(Path directory, ImageLimits limits) {
        ClipVisionConfig config = readConfig(directory.resolve("config.json"));
        imageProcessor(directory, config, limits);
        return config.projectionDim();
    }

    private static ClipImageProcessor imageProcessor(Path directory, ClipVisionConfig config, ImageLimits limits) {
        ClipImageProcessor images = ClipImageProcessor.forCheckpoint(directory, limits);
        if (images.config().cropHeight() != config.imageSize()
                || images.config().cropWidth() != config.imageSize()) {
            throw new ModelLoadException(directory + ": preprocessor_config.json crops to "
                    + images.config().cropHeight() + "x" + images.config().cropWidth() + " but the vision tower reads "
                    + config.imageSize());
        }
        return images;
    }

    /** A CLIPVisionModelWithProjection config is the vision config; a CLIPModel nests it under vision_config. */
    static ClipVisionConfig readConfig(Path configJson) {
        if (!Files.isRegularFile(configJson)) {
            throw new ModelLoadException(
                    configJson.getParent() + ": no config.json (not a Hugging Face checkpoint" + " directory)");
        }
        try {
            JsonNode json = new ObjectMapper().readTree(configJson);
            JsonNode nested = json.path("vision_config");
            if (!nested.isObject()) {
                return ClipVisionConfig.fromJson(json);
            }
            // CLIPModel sizes visual_projection by its own projection_dim (transformers' default 512).
            return ClipVisionConfig.fromJson(nested)
                    .withProjectionDim(json.path("projection_dim").asInt(512));
        } catch (JacksonException e) {
            throw new ModelLoadException(configJson + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(configJson + ": " + e.getMessage(), e);
        }
    }

    /** Length of the features: {@code projection_dim}. */
    public int dimension() {
        return (int) projection.getShape().get(0);
    }

    /** Hex SHA-256 of the tower: equal to an expert's when they share it. */
    public String towerDigest() {
        return tower.digest();
    }

    /**
     * @throws ImageRefusedException with a client-facing message when an image cannot be read (only on a cache
     *                               miss: a hit means the same bytes were read with the same preprocessing)
     */
    @Override
    public Optional<float[]> extract(Prompt prompt) {
        if (prompt.images().isEmpty()) {
            return Optional.empty();
        }
        List<ImageInput> images = prompt.images();
        List<EncodingKey> keys =
                images.stream().map(image -> tower.key(preprocessing, image)).toList();
        float[] known;
        synchronized (remembered) {
            known = remembered.get(keys);
        }
        if (known != null) {
            return Optional.of(known.clone());
        }
        NativeTarget.prepareInferenceThread();
        float[] feature;
        try (NDManager step = manager.newSubManager()) {
            NDList pooled = new NDList();
            for (int i = 0; i < images.size(); i++) {
                ImageInput image = images.get(i);
                pooled.add(
                        tower.encode(keys.get(i), () -> preprocess(image), step).pooledOutput()); // [E]
            }
            NDArray embeds =
                    Linear.linear(NDArrays.stack(pooled, 0), projection, null).singletonOrThrow(); // [B, P]
            feature = embeds.toType(DataType.FLOAT32, false).mean(new int[] {0}).toFloatArray();
        }
        synchronized (remembered) {
            remembered.put(keys, feature.clone());
        }
        return Optional.of(feature);
    }

    /**
     * Each image's embedding, [B][P], the whole batch through the tower in one pass and past the encoding cache:
     * what the router tools store as an image's feature, for many images seen once.
     *
     * @throws ImageRefusedException when an image cannot be read
     */
    public float[][] embedEach(List<ImageInput> batch) {
        NativeTarget.prepareInferenceThread();
        List<PixelValues> pixels = batch.stream().map(this::preprocess).toList();
        ClipVisionModel model = tower.model();
        int layers = model.config().numHiddenLayers();
        try (NDManager work = manager.newSubManager()) {
            List<NDArray> states = model.hiddenStates(model.pixels(pixels, work), layers);
            NDArray pooled = model.pooled(states.get(layers)); // [B, E]
            NDArray embeds = Linear.linear(pooled, projection, null).singletonOrThrow(); // [B, P]
            float[] flat = embeds.toType(DataType.FLOAT32, false).toFloatArray();
            int width = flat.length / batch.size();
            float[][] rows = new float[batch.size()][];
            for (int b = 0; b < rows.length; b++) {
                rows[b] = java.util.Arrays.copyOfRange(flat, b * width, (b + 1) * width);
            }
            return rows;
        }
    }

    private PixelValues preprocess(ImageInput image) {
        return images.process(image).get(0);
    }

    /** The projection and any step in flight; the tower is counted by its {@link VisionTowers}. */
    @Override
    public int liveArrays() {
        return NativeTarget.liveArrays(manager);
    }

    @Override
    public void close() {
        manager.close();
        tower.close();
    }

    @Override
    public String toString() {
        return "ClipFeatureExtractor[" + tower + ", dimension " + dimension() + "]";
    }
}
