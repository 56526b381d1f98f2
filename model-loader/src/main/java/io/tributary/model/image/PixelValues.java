package io.tributary.model.image;

/**
 * One preprocessed image (or one tile of it), ready for a vision encoder: channel-first float pixels, already
 * rescaled and normalized, as a Hugging Face image processor's {@code pixel_values} row.
 *
 * @param data values in {@code [channel][row][column]} order, length {@code channels * height * width}
 */
public record PixelValues(float[] data, int channels, int height, int width) {

    public PixelValues {
        if ((long) channels * height * width != data.length) {
            throw new IllegalArgumentException(data.length + " values for " + channels + "x" + height + "x" + width);
        }
    }
}
