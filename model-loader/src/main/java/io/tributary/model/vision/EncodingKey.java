package io.tributary.model.vision;

import io.tributary.model.image.ClipImageProcessor;
import io.tributary.model.image.ClipPreprocessorConfig;
import io.tributary.model.image.ImageProcessor;
import io.tributary.routing.ImageInput;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * What determines one encoder run's result: the tower (its content digest, device and precision), the image
 * preprocessing, and the image's bytes. Equal keys give equal features, so one run serves them all.
 *
 * @param tower         {@link SharedTower#key()}
 * @param preprocessing {@link #preprocessing(ImageProcessor)}
 * @param image         hex SHA-256 of the media type and the encoded bytes
 */
public record EncodingKey(String tower, Object preprocessing, String image) {

    /**
     * Identifies what an image processor does. A {@link ClipImageProcessor} by its configuration's values, so
     * experts that each read their own {@code preprocessor_config.json} still share when the files agree; any
     * other processor by identity (the same instance shares, another never does).
     *
     * <p>Limits on image size are not part of it: a mixture's processors come from one factory with one set of
     * limits, and a hit only skips a limit check that another consumer with the same preprocessing passed.
     */
    public static Object preprocessing(ImageProcessor processor) {
        if (processor instanceof ClipImageProcessor clip) {
            ClipPreprocessorConfig c = clip.config();
            return "clip resize=" + c.doResize() + "/" + c.shortestEdge() + " crop=" + c.doCenterCrop() + "/"
                    + c.cropHeight() + "x" + c.cropWidth() + " rescale=" + c.doRescale() + "/" + c.rescaleFactor()
                    + " normalize=" + c.doNormalize() + "/" + Arrays.toString(c.imageMean()) + "/"
                    + Arrays.toString(c.imageStd()) + " pad=" + c.padToSquare();
        }
        return processor;
    }

    /** Hex SHA-256 of the image as sent: its media type, then its bytes. */
    public static String imageDigest(ImageInput image) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update((image.mediaType() + "\u0000").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest.digest(image.bytes()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "EncodingKey[" + tower.substring(0, Math.min(12, tower.length())) + ", " + image.substring(0, 12) + "]";
    }
}
