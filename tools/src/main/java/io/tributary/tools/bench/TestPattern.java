package io.tributary.tools.bench;

import io.tributary.routing.ImageInput;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/** A deterministic PNG with gradients and stripes, so decoding and resizing do real work. */
final class TestPattern {

    private TestPattern() {}

    static ImageInput png(int width, int height) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int r = 255 * x / width;
                int g = 255 * y / height;
                int b = ((x / 7) ^ (y / 5)) & 0xFF;
                image.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return new ImageInput(out.toByteArray(), "image/png");
    }
}
