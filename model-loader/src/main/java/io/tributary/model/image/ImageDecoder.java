package io.tributary.model.image;

import io.tributary.routing.ImageInput;
import io.tributary.routing.refusal.ImageRefusedException;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Decodes PNG, JPEG, GIF and BMP bytes (the format is recognised from the content, not the declared media type)
 * into {@link RgbImage}, as PIL's {@code Image.open(f).convert("RGB")} does: an alpha channel is dropped, not
 * composited (PIL's RGBA to RGB conversion keeps the colour samples as stored, so a transparent pixel shows its
 * stored colour, usually black); grey is replicated into R, G and B (never gamma-converted); palette images take
 * their palette colours; 16-bit samples keep their high byte; only the first frame of an animation is read.
 *
 * <p>Every failure is an {@link ImageRefusedException} whose message can be shown to the client.
 */
public final class ImageDecoder {

    private static final Set<String> FORMATS = Set.of("png", "jpeg", "gif", "bmp");

    private final ImageLimits limits;

    public ImageDecoder(ImageLimits limits) {
        this.limits = limits;
    }

    /** Width and height in pixels. */
    public record Size(int width, int height) {}

    public RgbImage decode(ImageInput image) {
        return read(image, reader -> {
            // Truncated JPEGs decode "successfully" with grey filler and only a warning: refuse them, as PIL does.
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            BufferedImage decoded = reader.read(0);
            if (!warnings.isEmpty()) {
                throw new ImageRefusedException("the image is corrupt or truncated: " + warnings.get(0));
            }
            return toRgb(decoded);
        });
    }

    /** The image's size from its header, checked against the limits; the pixels are not decoded. */
    public Size size(ImageInput image) {
        return read(image, reader -> new Size(reader.getWidth(0), reader.getHeight(0)));
    }

    private interface Step<T> {
        T apply(ImageReader reader) throws IOException;
    }

    /** Runs {@code step} on a reader of the image once its format and size have passed the limits. */
    private <T> T read(ImageInput image, Step<T> step) {
        byte[] bytes = image.bytes();
        if (bytes.length == 0) {
            throw new ImageRefusedException("the image is empty");
        }
        if (bytes.length > limits.maxEncodedBytes()) {
            throw new ImageTooLargeException(
                    ImageTooLargeException.Limit.ENCODED_BYTES,
                    bytes.length,
                    limits.maxEncodedBytes(),
                    "the image is " + bytes.length + " bytes, more than the limit of " + limits.maxEncodedBytes());
        }
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            ImageReader reader = readerFor(in);
            try {
                reader.setInput(in, true, true);
                checkSize(reader.getWidth(0), reader.getHeight(0));
                return step.apply(reader);
            } finally {
                reader.dispose();
            }
        } catch (ImageRefusedException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ImageRefusedException(
                    "the image is corrupt or truncated and cannot be decoded ("
                            + e.getClass().getSimpleName() + ")",
                    e);
        }
    }

    private static ImageReader readerFor(ImageInputStream in) {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        while (readers.hasNext()) {
            ImageReader reader = readers.next();
            try {
                if (FORMATS.contains(reader.getFormatName().toLowerCase(Locale.ROOT))) {
                    return reader;
                }
            } catch (IOException e) {
                // fall through to the next reader
            }
            reader.dispose();
        }
        throw new ImageRefusedException("the image is not a PNG, JPEG, GIF or BMP file");
    }

    private void checkSize(int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new ImageRefusedException("the image has an invalid size " + width + "x" + height);
        }
        if ((long) width * height > limits.maxPixels()) {
            throw new ImageTooLargeException(
                    ImageTooLargeException.Limit.PIXELS,
                    (long) width * height,
                    limits.maxPixels(),
                    "the image is " + width + "x" + height + " pixels, more than the limit of " + limits.maxPixels()
                            + " pixels");
        }
    }

    /** Reads samples from the raster: BufferedImage.getRGB would gamma-convert grey images (Java's linear grey). */
    static RgbImage toRgb(BufferedImage image) {
        int width = image.getWidth();
        int height = image.getHeight();
        byte[] rgb = new byte[width * height * 3];
        if (image.getColorModel() instanceof IndexColorModel) {
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    put(rgb, 3 * (y * width + x), image.getRGB(x, y)); // palette colours, alpha ignored
                }
            }
            return new RgbImage(width, height, rgb);
        }
        if (!(image.getColorModel() instanceof ComponentColorModel)
                && image.getType() != BufferedImage.TYPE_INT_RGB
                && image.getType() != BufferedImage.TYPE_INT_ARGB
                && image.getType() != BufferedImage.TYPE_INT_BGR) {
            throw new ImageRefusedException("the image uses an unsupported colour model");
        }
        Raster raster = image.getRaster();
        int bands = raster.getNumBands();
        int bits = raster.getSampleModel().getSampleSize(0);
        int shift = Math.max(0, bits - 8);
        int colourBands = bands >= 3 ? 3 : 1; // 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA (alpha band last)
        int[] pixel = new int[bands];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                raster.getPixel(x, y, pixel);
                int at = 3 * (y * width + x);
                for (int c = 0; c < 3; c++) {
                    rgb[at + c] = (byte) (pixel[colourBands == 3 ? c : 0] >> shift);
                }
            }
        }
        return new RgbImage(width, height, rgb);
    }

    private static void put(byte[] rgb, int at, int argb) {
        rgb[at] = (byte) (argb >> 16);
        rgb[at + 1] = (byte) (argb >> 8);
        rgb[at + 2] = (byte) argb;
    }
}
