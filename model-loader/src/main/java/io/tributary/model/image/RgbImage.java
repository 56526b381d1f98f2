package io.tributary.model.image;

/**
 * A decoded 8-bit RGB image, what PIL calls mode "RGB": every preprocessing step (resize, crop, pad) works on these
 * bytes, as Pillow does, and only the last step turns them into floats.
 *
 * @param rgb interleaved samples, row-major: the pixel at (x, y) is at {@code 3 * (y * width + x)}, then R, G, B
 */
public record RgbImage(int width, int height, byte[] rgb) {

    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if ((long) width * height * 3 != rgb.length) {
            throw new IllegalArgumentException(rgb.length + " bytes for a " + width + "x" + height + " RGB image");
        }
    }

    /** A new image filled with one colour (PIL's {@code Image.new("RGB", size, colour)}). */
    public static RgbImage filled(int width, int height, int red, int green, int blue) {
        byte[] rgb = new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)];
        for (int i = 0; i < rgb.length; i += 3) {
            rgb[i] = (byte) red;
            rgb[i + 1] = (byte) green;
            rgb[i + 2] = (byte) blue;
        }
        return new RgbImage(width, height, rgb);
    }

    /** Sample of channel {@code c} (0 R, 1 G, 2 B) at column x, row y, as 0..255. */
    public int sample(int x, int y, int c) {
        return rgb[3 * (y * width + x) + c] & 0xFF;
    }

    /** The {@code cropWidth} x {@code cropHeight} region whose top-left corner is (left, top); must lie inside. */
    public RgbImage crop(int left, int top, int cropWidth, int cropHeight) {
        if (left < 0 || top < 0 || left + cropWidth > width || top + cropHeight > height) {
            throw new IllegalArgumentException("crop " + cropWidth + "x" + cropHeight + " at (" + left + ", " + top
                    + ") is outside a " + width + "x" + height + " image");
        }
        byte[] out = new byte[cropWidth * cropHeight * 3];
        for (int y = 0; y < cropHeight; y++) {
            System.arraycopy(rgb, 3 * ((top + y) * width + left), out, 3 * y * cropWidth, 3 * cropWidth);
        }
        return new RgbImage(cropWidth, cropHeight, out);
    }

    /**
     * This image pasted onto a {@code canvasWidth} x {@code canvasHeight} canvas of {@code background} (packed
     * 0xRRGGBB) with its top-left corner at (left, top); parts falling outside the canvas are cut off.
     */
    public RgbImage pasteOnto(int canvasWidth, int canvasHeight, int background, int left, int top) {
        RgbImage canvas =
                filled(canvasWidth, canvasHeight, background >> 16 & 0xFF, background >> 8 & 0xFF, background & 0xFF);
        for (int y = Math.max(0, -top); y < height && y + top < canvasHeight; y++) {
            int x0 = Math.max(0, -left);
            int x1 = Math.min(width, canvasWidth - left);
            if (x1 > x0) {
                System.arraycopy(
                        rgb,
                        3 * (y * width + x0),
                        canvas.rgb,
                        3 * ((y + top) * canvasWidth + left + x0),
                        3 * (x1 - x0));
            }
        }
        return canvas;
    }
}
