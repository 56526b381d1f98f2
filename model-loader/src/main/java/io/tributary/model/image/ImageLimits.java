package io.tributary.model.image;

/**
 * How large an image a request may send. Both limits are checked before any pixel is decoded: the encoded size
 * first, then the pixel count read from the image header, so a small file that expands to gigabytes (a
 * decompression bomb) is refused in microseconds.
 *
 * @param maxEncodedBytes largest accepted file, in bytes
 * @param maxPixels       largest accepted width x height
 */
public record ImageLimits(long maxEncodedBytes, long maxPixels) {

    /** 20 MiB and 36 megapixels (e.g. 6000 x 6000): far above what 336-px or 12-tile 448-px encoders can use. */
    public static final ImageLimits DEFAULT = new ImageLimits(20L << 20, 36_000_000L);

    public ImageLimits {
        if (maxEncodedBytes <= 0 || maxPixels <= 0) {
            throw new IllegalArgumentException(
                    "image limits must be positive, got " + maxEncodedBytes + " bytes, " + maxPixels + " pixels");
        }
    }
}
