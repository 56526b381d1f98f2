package io.tributary.model.image;

import io.tributary.model.ModelLoadException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.nio.file.Path;

/**
 * The fields of a checkpoint's {@code preprocessor_config.json} that CLIP preprocessing uses; a missing field takes
 * {@code CLIPImageProcessor}'s default.
 *
 * @param shortestEdge {@code size.shortest_edge} (or a bare {@code size}): the short side after resizing
 * @param padToSquare  pad to a square of the mean colour before resizing: the original LLaVA-1.5
 *                     {@code image_aspect_ratio = "pad"}, transformers' {@code LlavaImageProcessor.do_pad}
 */
public record ClipPreprocessorConfig(
        boolean doResize,
        int shortestEdge,
        boolean doCenterCrop,
        int cropHeight,
        int cropWidth,
        boolean doRescale,
        double rescaleFactor,
        boolean doNormalize,
        double[] imageMean,
        double[] imageStd,
        boolean padToSquare) {

    private static final int PIL_BICUBIC = 3;

    public ClipPreprocessorConfig {
        imageMean = imageMean.clone();
        imageStd = imageStd.clone();
        if (imageMean.length != 3 || imageStd.length != 3) {
            throw new IllegalArgumentException("image_mean and image_std need 3 values each");
        }
        if (shortestEdge <= 0 || cropHeight <= 0 || cropWidth <= 0) {
            throw new IllegalArgumentException("size and crop_size must be positive");
        }
    }

    /** CLIPImageProcessor's defaults (224 px) with a different size: 336 for LLaVA-1.5's CLIP ViT-L/14-336. */
    public static ClipPreprocessorConfig defaults(int size) {
        return new ClipPreprocessorConfig(
                true,
                size,
                true,
                size,
                size,
                true,
                1 / 255.0,
                true,
                Normalization.CLIP_MEAN,
                Normalization.CLIP_STD,
                false);
    }

    public ClipPreprocessorConfig withPadToSquare(boolean pad) {
        return new ClipPreprocessorConfig(
                doResize,
                shortestEdge,
                doCenterCrop,
                cropHeight,
                cropWidth,
                doRescale,
                rescaleFactor,
                doNormalize,
                imageMean,
                imageStd,
                pad);
    }

    public static ClipPreprocessorConfig read(Path json) {
        try {
            return fromJson(new ObjectMapper().readTree(json));
        } catch (JacksonException e) {
            throw new ModelLoadException(json + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(json + ": " + e.getMessage(), e);
        }
    }

    public static ClipPreprocessorConfig fromJson(JsonNode json) {
        int resample = json.path("resample").asInt(PIL_BICUBIC);
        if (resample != PIL_BICUBIC) {
            throw new IllegalArgumentException("resample " + resample + " is not supported (only 3, bicubic)");
        }
        JsonNode size = json.path("size");
        int shortest = size.isIntegralNumber()
                ? size.asInt()
                : size.path("shortest_edge").asInt(224);
        if (size.isObject() && !size.has("shortest_edge")) {
            throw new IllegalArgumentException("size " + size + " is not supported (expected shortest_edge)");
        }
        JsonNode crop = json.path("crop_size");
        int cropHeight =
                crop.isIntegralNumber() ? crop.asInt() : crop.path("height").asInt(224);
        int cropWidth =
                crop.isIntegralNumber() ? crop.asInt() : crop.path("width").asInt(224);
        return new ClipPreprocessorConfig(
                json.path("do_resize").asBoolean(true),
                shortest,
                json.path("do_center_crop").asBoolean(true),
                cropHeight,
                cropWidth,
                json.path("do_rescale").asBoolean(true),
                json.path("rescale_factor").asDouble(1 / 255.0),
                json.path("do_normalize").asBoolean(true),
                triple(json.path("image_mean"), Normalization.CLIP_MEAN),
                triple(json.path("image_std"), Normalization.CLIP_STD),
                json.path("do_pad").asBoolean(false));
    }

    static double[] triple(JsonNode node, double[] fallback) {
        if (node.isMissingNode() || node.isNull()) {
            return fallback.clone();
        }
        if (node.isNumber()) {
            return new double[] {node.asDouble(), node.asDouble(), node.asDouble()};
        }
        if (!node.isArray() || node.size() != 3) {
            throw new IllegalArgumentException("expected 3 channel values, got " + node);
        }
        return new double[] {
            node.get(0).asDouble(), node.get(1).asDouble(), node.get(2).asDouble()
        };
    }
}
