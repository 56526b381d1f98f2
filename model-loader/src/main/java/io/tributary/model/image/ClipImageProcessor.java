package io.tributary.model.image;

import io.tributary.model.ModelLoadException;
import io.tributary.routing.ImageInput;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * transformers' {@code CLIPImageProcessor} (the PIL-based "slow" processor), optionally preceded by LLaVA-1.5's
 * pad-to-square: [pad to a square of the mean colour], resize so the short side is {@code shortest_edge} (PIL
 * bicubic), center crop, rescale by 1/255, normalise with CLIP's mean and std. One image gives one
 * {@link PixelValues} of 3 x crop height x crop width.
 */
public final class ClipImageProcessor implements ImageProcessor {

    private final ClipPreprocessorConfig config;
    private final ImageDecoder decoder;
    private final Normalization normalization;

    public ClipImageProcessor(ClipPreprocessorConfig config, ImageLimits limits) {
        this.config = config;
        this.decoder = new ImageDecoder(limits);
        this.normalization = Normalization.of(
                Normalization.Rescale.NUMPY_FLOAT64_PRODUCT,
                config.doRescale() ? config.rescaleFactor() : 1.0,
                config.doNormalize() ? config.imageMean() : new double[] {0, 0, 0},
                config.doNormalize() ? config.imageStd() : new double[] {1, 1, 1});
    }

    /**
     * The processor a checkpoint's {@code preprocessor_config.json} describes.
     *
     * @throws io.tributary.model.ModelLoadException if the file is missing, invalid or asks for something unsupported
     */
    public static ClipImageProcessor forCheckpoint(Path directory, ImageLimits limits) {
        Path json = directory.resolve("preprocessor_config.json");
        if (!Files.isRegularFile(json)) {
            throw new ModelLoadException(directory + ": no preprocessor_config.json for the CLIP image processor");
        }
        return new ClipImageProcessor(ClipPreprocessorConfig.read(json), limits);
    }

    public ClipPreprocessorConfig config() {
        return config;
    }

    @Override
    public List<PixelValues> process(ImageInput image) {
        return List.of(preprocess(decoder.decode(image)));
    }

    /** The whole pipeline after decoding. */
    public PixelValues preprocess(RgbImage image) {
        return normalization.apply(prepare(image));
    }

    /** The byte-valued steps: pad, resize, crop. */
    public RgbImage prepare(RgbImage image) {
        if (config.padToSquare()) {
            image = padToSquare(image, config.imageMean());
        }
        if (config.doResize()) {
            int[] size = shortestEdgeSize(image.width(), image.height(), config.shortestEdge());
            image = PilBicubic.resize(image, size[0], size[1]);
        }
        if (config.doCenterCrop()) {
            image = centerCrop(image, config.cropWidth(), config.cropHeight());
        }
        return image;
    }

    /**
     * LLaVA's {@code expand2square}: the image centred on a square canvas of its long side, the background
     * {@code int(mean * 255)} per channel (122, 116, 104 for CLIP).
     */
    static RgbImage padToSquare(RgbImage image, double[] mean) {
        int w = image.width();
        int h = image.height();
        if (w == h) {
            return image;
        }
        int background = (int) (mean[0] * 255) << 16 | (int) (mean[1] * 255) << 8 | (int) (mean[2] * 255);
        return w > h
                ? image.pasteOnto(w, w, background, 0, (w - h) / 2)
                : image.pasteOnto(h, h, background, (h - w) / 2, 0);
    }

    /** {@code get_resize_output_image_size(default_to_square=False)}: [width, height], the long side truncated. */
    static int[] shortestEdgeSize(int width, int height, int shortestEdge) {
        if (width <= height) {
            return new int[] {shortestEdge, (int) ((long) shortestEdge * height / (double) width)};
        }
        return new int[] {(int) ((long) shortestEdge * width / (double) height), shortestEdge};
    }

    /**
     * transformers' {@code center_crop}: offsets {@code int((size - crop) / 2)}; an image smaller than the crop is
     * first centred on a black canvas (offset rounded up), as transformers pads with zeros.
     */
    static RgbImage centerCrop(RgbImage image, int cropWidth, int cropHeight) {
        int w = image.width();
        int h = image.height();
        if (w >= cropWidth && h >= cropHeight) {
            return image.crop((w - cropWidth) / 2, (h - cropHeight) / 2, cropWidth, cropHeight);
        }
        int canvasW = Math.max(w, cropWidth);
        int canvasH = Math.max(h, cropHeight);
        int padLeft = (canvasW - w + 1) / 2;
        int padTop = (canvasH - h + 1) / 2;
        // transformers: crop_top = int((h - crop_h) / 2) truncates towards zero, then shifts by the padding.
        int top = (int) ((h - cropHeight) / 2.0) + padTop;
        int left = (int) ((w - cropWidth) / 2.0) + padLeft;
        RgbImage canvas = image.pasteOnto(canvasW, canvasH, 0, padLeft, padTop);
        // (transformers can come out a row short here for odd differences; we keep the requested size)
        return canvas.crop(
                Math.min(Math.max(0, left), canvasW - cropWidth),
                Math.min(Math.max(0, top), canvasH - cropHeight),
                cropWidth,
                cropHeight);
    }
}
