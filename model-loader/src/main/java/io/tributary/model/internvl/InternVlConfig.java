package io.tributary.model.internvl;

import io.tributary.model.ModelLoadException;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.image.InternVlImageProcessor;
import io.tributary.model.image.InternVlTilingConfig;
import io.tributary.model.image.Normalization;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the vision side of an InternVL checkpoint needs from its {@code config.json}, in either layout: OpenGVLab's
 * {@code InternVLChatModel} ({@code vision_config}, {@code llm_config}, {@code downsample_ratio},
 * {@code ps_version}, {@code select_layer}, {@code force_image_size}, {@code template}, tiling fields) or
 * transformers' {@code InternVLForConditionalGeneration} ({@code vision_config}, {@code text_config},
 * {@code vision_feature_layer}; tiling in {@code preprocessor_config.json}).
 *
 * @param vision        the encoder, its image size already replaced by {@code force_image_size} when set
 * @param llmHiddenSize the decoder's hidden size: the projector's output width
 * @param shuffleFactor 1 / downsample_ratio: pixel shuffle folds shuffleFactor^2 patches into one token
 * @param pixelShuffleV2 {@code ps_version} "v2": the shuffled grid is transposed back (transformers always does)
 * @param selectLayer   hidden state the features come from: -1 is the last layer's output, 0 the embeddings
 * @param template      the chat template's name ({@code "internvl2_5"}), or null in the transformers layout
 */
public record InternVlConfig(
        InternVisionConfig vision,
        int llmHiddenSize,
        int shuffleFactor,
        boolean pixelShuffleV2,
        int selectLayer,
        String template,
        String llmArchitecture,
        InternVlTilingConfig tiling,
        InternVlLayout layout) {

    public InternVlConfig {
        int grid = vision.gridSize();
        if (shuffleFactor < 1 || grid % shuffleFactor != 0) {
            throw new IllegalArgumentException("downsample_ratio 1/" + shuffleFactor + " does not divide the " + grid
                    + "x" + grid + " patch grid");
        }
        if (selectLayer < -vision.numHiddenLayers() - 1 || selectLayer > vision.numHiddenLayers()) {
            throw new IllegalArgumentException("select_layer " + selectLayer + " is outside the encoder's "
                    + vision.numHiddenLayers() + " layers");
        }
    }

    /** The image processor matching this checkpoint's tiling: {@code InternVlConfig.read(dir).imageProcessor(..)}. */
    public InternVlImageProcessor imageProcessor(ImageLimits limits) {
        return new InternVlImageProcessor(tiling, limits);
    }

    /** Image tokens one tile becomes: 256 for a 448-px tile with 14-px patches and downsample 0.5. */
    public int tokensPerTile() {
        int side = vision.gridSize() / shuffleFactor;
        return side * side;
    }

    /** Encoder layers to run: hidden state {@code selectLayer} is the output of that many layers. */
    public int layersToRun() {
        return selectLayer < 0 ? vision.numHiddenLayers() + 1 + selectLayer : selectLayer;
    }

    public static InternVlConfig read(Path directory) {
        Path configJson = directory.resolve("config.json");
        try {
            ObjectMapper mapper = new ObjectMapper();
            JsonNode config = mapper.readTree(configJson);
            Path preprocessor = directory.resolve("preprocessor_config.json");
            JsonNode processor = Files.isRegularFile(preprocessor) ? mapper.readTree(preprocessor) : null;
            return fromJson(config, processor);
        } catch (JacksonException e) {
            throw new ModelLoadException(configJson + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(configJson + ": " + e.getMessage(), e);
        }
    }

    /** @param processor transformers' {@code preprocessor_config.json}, or null */
    public static InternVlConfig fromJson(JsonNode config, JsonNode processor) {
        if (config.has("llm_config")) {
            return original(config);
        }
        if (config.has("text_config")) {
            return transformers(config, processor);
        }
        throw new IllegalArgumentException("neither llm_config (InternVLChatModel) nor text_config"
                + " (InternVLForConditionalGeneration): not an InternVL config");
    }

    private static InternVlConfig original(JsonNode config) {
        InternVisionConfig vision = InternVisionConfig.fromJson(config.path("vision_config"));
        JsonNode force = config.path("force_image_size");
        if (force.isIntegralNumber()) {
            vision = vision.withImageSize(force.asInt());
        }
        String ps = config.path("ps_version").asString("v1");
        if (!ps.equals("v1") && !ps.equals("v2")) {
            throw new IllegalArgumentException("ps_version '" + ps + "' is not supported");
        }
        boolean dynamic = config.path("dynamic_image_size").asBoolean(true);
        // OpenGVLab's load_image: 1 to 12 tiles plus a thumbnail. Without dynamic tiling, one plain resize.
        InternVlTilingConfig tiling = dynamic
                ? InternVlTilingConfig.of(
                        vision.imageSize(),
                        config.path("min_dynamic_patch").asInt(1),
                        config.path("max_dynamic_patch").asInt(12),
                        config.path("use_thumbnail").asBoolean(true))
                : InternVlTilingConfig.of(vision.imageSize(), 1, 1, false);
        JsonNode llm = config.path("llm_config");
        return new InternVlConfig(
                vision,
                required(llm, "hidden_size", "llm_config"),
                shuffleFactor(config.path("downsample_ratio").asDouble(0.5)),
                ps.equals("v2"),
                config.path("select_layer").asInt(-1),
                config.path("template").asString(null),
                llm.path("architectures").path(0).asString(""),
                tiling,
                InternVlLayout.ORIGINAL);
    }

    private static InternVlConfig transformers(JsonNode config, JsonNode processor) {
        InternVisionConfig vision = InternVisionConfig.fromJson(config.path("vision_config"));
        String strategy = config.path("vision_feature_select_strategy").asString("default");
        if (!strategy.equals("default")) {
            throw new IllegalArgumentException("vision_feature_select_strategy '" + strategy + "' is not supported");
        }
        String act = config.path("projector_hidden_act").asString("gelu");
        if (!act.equals("gelu")) {
            throw new IllegalArgumentException("projector_hidden_act '" + act + "' is not supported");
        }
        JsonNode p = processor == null ? new ObjectMapper().createObjectNode() : processor;
        int size = p.path("size").path("height").asInt(vision.imageSize());
        InternVlTilingConfig tiling = new InternVlTilingConfig(
                size,
                p.path("crop_to_patches").asBoolean(true)
                        ? p.path("min_patches").asInt(1)
                        : 1,
                p.path("crop_to_patches").asBoolean(true)
                        ? p.path("max_patches").asInt(12)
                        : 1,
                p.path("crop_to_patches").asBoolean(true),
                triple(p.path("image_mean"), Normalization.IMAGENET_MEAN),
                triple(p.path("image_std"), Normalization.IMAGENET_STD));
        JsonNode text = config.path("text_config");
        return new InternVlConfig(
                vision,
                required(text, "hidden_size", "text_config"),
                shuffleFactor(config.path("downsample_ratio").asDouble(0.5)),
                true,
                config.path("vision_feature_layer").asInt(-1),
                null,
                text.path("architectures")
                        .path(0)
                        .asString(text.path("model_type").asString("qwen2")),
                tiling,
                InternVlLayout.TRANSFORMERS);
    }

    private static int shuffleFactor(double downsampleRatio) {
        double inverse = 1 / downsampleRatio;
        if (Math.abs(inverse - Math.rint(inverse)) > 1e-9) {
            throw new IllegalArgumentException("downsample_ratio " + downsampleRatio + " is not 1/n");
        }
        return (int) Math.rint(inverse);
    }

    private static int required(JsonNode node, String field, String where) {
        if (!node.path(field).isIntegralNumber()) {
            throw new IllegalArgumentException(where + "." + field + " is missing");
        }
        return node.get(field).asInt();
    }

    private static double[] triple(JsonNode node, double[] fallback) {
        if (!node.isArray() || node.size() != 3) {
            return fallback.clone();
        }
        return new double[] {
            node.get(0).asDouble(), node.get(1).asDouble(), node.get(2).asDouble()
        };
    }
}
