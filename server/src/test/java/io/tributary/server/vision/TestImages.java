package io.tributary.server.vision;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.Random;

/** Real PNG images, written inline as TGI does: {@code ![](data:image/png;base64,...)}. */
final class TestImages {

    private TestImages() {
    }

    static String markdownPng(int seed, int width, int height) {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ImageIO.write(image, "png", bytes);
            return "![](data:image/png;base64," + Base64.getEncoder().encodeToString(bytes.toByteArray()) + ")";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
