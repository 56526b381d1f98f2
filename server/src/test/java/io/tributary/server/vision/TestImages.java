package io.tributary.server.vision;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;
import java.util.zip.CRC32;

/** Real PNG images, written inline as TGI does: {@code ![](data:image/png;base64,...)}. */
final class TestImages {

    private TestImages() {}

    static String markdownPng(int seed, int width, int height) {
        return "![](data:image/png;base64," + Base64.getEncoder().encodeToString(png(seed, width, height)) + ")";
    }

    /**
     * A real PNG of exactly {@code totalBytes}: a small image with a private ancillary chunk after its header, which
     * decoders skip. Tests a size limit without decoding megapixels.
     */
    static String markdownPaddedPng(int width, int height, int totalBytes) {
        byte[] image = png(1, width, height);
        int padding = totalBytes - image.length - 12; // a chunk: length, type, data, CRC
        ByteBuffer padded = ByteBuffer.allocate(totalBytes);
        int headerEnd = 8 + 25; // signature, then the IHDR chunk
        padded.put(image, 0, headerEnd);
        byte[] typeAndData = new byte[4 + padding];
        System.arraycopy("prVt".getBytes(StandardCharsets.US_ASCII), 0, typeAndData, 0, 4);
        CRC32 crc = new CRC32();
        crc.update(typeAndData);
        padded.putInt(padding).put(typeAndData).putInt((int) crc.getValue());
        padded.put(image, headerEnd, image.length - headerEnd);
        return "![](data:image/png;base64," + Base64.getEncoder().encodeToString(padded.array()) + ")";
    }

    private static byte[] png(int seed, int width, int height) {
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
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
