package io.tributary.model.image;

import io.tributary.routing.ImageInput;
import io.tributary.routing.refusal.ImageRefusedException;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Decoding to RGB as PIL's convert("RGB") does, and refusing bad or oversized input cheaply and clearly. */
class ImageDecoderTest {

    private final ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);

    @Test
    void pngRgbRoundTripsExactly() throws IOException {
        BufferedImage image = new BufferedImage(5, 3, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, 0x102030);
        image.setRGB(4, 2, 0xFFEE01);
        RgbImage rgb = decoder.decode(png(image));
        assertThat(rgb.width()).isEqualTo(5);
        assertThat(rgb.height()).isEqualTo(3);
        assertThat(pixel(rgb, 0, 0)).containsExactly(0x10, 0x20, 0x30);
        assertThat(pixel(rgb, 4, 2)).containsExactly(0xFF, 0xEE, 0x01);
    }

    @Test
    void alphaIsDroppedNotCompositedLikePilConvertRgb() throws IOException {
        BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        image.setRGB(0, 0, 0x00336699); // fully transparent: PIL keeps the stored colour
        image.setRGB(1, 0, 0x80FF0000); // half transparent red stays pure red
        RgbImage rgb = decoder.decode(png(image));
        assertThat(pixel(rgb, 0, 0)).containsExactly(0x33, 0x66, 0x99);
        assertThat(pixel(rgb, 1, 0)).containsExactly(0xFF, 0, 0);
    }

    @Test
    void greyIsReplicatedWithoutGammaConversion() throws IOException {
        BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setSample(0, 0, 0, 128);
        image.getRaster().setSample(1, 0, 0, 7);
        RgbImage rgb = decoder.decode(png(image));
        assertThat(pixel(rgb, 0, 0)).containsExactly(128, 128, 128); // getRGB would give ~186: Java's linear grey
        assertThat(pixel(rgb, 1, 0)).containsExactly(7, 7, 7);
    }

    @Test
    void paletteImagesTakeTheirPaletteColours() throws IOException {
        IndexColorModel palette =
                new IndexColorModel(8, 2, new byte[] {1, (byte) 200}, new byte[] {2, 100}, new byte[] {3, 50});
        BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED, palette);
        image.getRaster().setSample(1, 0, 0, 1);
        RgbImage rgb = decoder.decode(png(image));
        assertThat(pixel(rgb, 0, 0)).containsExactly(1, 2, 3);
        assertThat(pixel(rgb, 1, 0)).containsExactly(200, 100, 50);
    }

    @Test
    void jpegDecodesToNearlyTheOriginalColours() throws IOException {
        BufferedImage image = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                image.setRGB(x, y, 0x4080C0);
            }
        }
        RgbImage rgb = decoder.decode(encode(image, "jpeg", "image/jpeg"));
        assertThat(rgb.width()).isEqualTo(16);
        int[] p = pixel(rgb, 8, 8);
        assertThat(p[0]).isBetween(0x40 - 3, 0x40 + 3);
        assertThat(p[1]).isBetween(0x80 - 3, 0x80 + 3);
        assertThat(p[2]).isBetween(0xC0 - 3, 0xC0 + 3);
    }

    @Test
    void truncatedPngIsRefused() throws IOException {
        byte[] bytes = png(noise(64, 64)).bytes();
        assertRefused(Arrays.copyOf(bytes, bytes.length / 2), "corrupt or truncated");
    }

    @Test
    void truncatedJpegIsRefusedNotFilledWithGrey() throws IOException {
        byte[] bytes = encode(noise(64, 64), "jpeg", "image/jpeg").bytes();
        assertRefused(Arrays.copyOf(bytes, bytes.length / 2), "corrupt or truncated");
    }

    @Test
    void corruptDataAfterAValidHeaderIsRefused() throws IOException {
        byte[] bytes = png(noise(32, 32)).bytes();
        for (int i = 60; i < bytes.length - 20; i++) {
            bytes[i] ^= 0x5A;
        }
        assertRefused(bytes, "corrupt or truncated");
    }

    @Test
    void textAndEmptyInputAreNotImages() {
        assertRefused("hello, I am not a picture".getBytes(StandardCharsets.UTF_8), "not a PNG, JPEG, GIF or BMP");
        assertRefused(new byte[0], "empty");
    }

    @Test
    void oversizedFilesAreRefusedBeforeDecoding() throws IOException {
        ImageDecoder small = new ImageDecoder(new ImageLimits(100, 1_000_000));
        assertThatThrownBy(() -> small.decode(png(noise(32, 32))))
                .isInstanceOf(ImageTooLargeException.class)
                .hasMessageContaining("more than the limit of 100");
    }

    @Test
    void decompressionBombIsRefusedFromTheHeaderAlone() {
        // A 100000 x 100000 RGB PNG header: 10^10 pixels (30 GB decoded) in under 100 bytes.
        byte[] bomb = pngHeaderOnly(100_000, 100_000);
        long start = System.nanoTime();
        assertRefused(bomb, "100000x100000 pixels, more than the limit");
        assertThat((System.nanoTime() - start) / 1e9).as("seconds to refuse").isLessThan(1.0);
    }

    @Test
    void pixelLimitIsExact() throws IOException {
        ImageDecoder limited = new ImageDecoder(new ImageLimits(1 << 20, 32 * 32));
        assertThat(limited.decode(png(noise(32, 32))).width()).isEqualTo(32);
        assertThatThrownBy(() -> limited.decode(png(noise(33, 32))))
                .isInstanceOf(ImageTooLargeException.class)
                .hasMessageContaining("33x32 pixels");
    }

    private void assertRefused(byte[] bytes, String message) {
        assertThatThrownBy(() -> decoder.decode(new ImageInput(bytes, "image/png")))
                .isInstanceOf(ImageRefusedException.class)
                .hasMessageContaining(message);
    }

    static ImageInput png(BufferedImage image) throws IOException {
        return encode(image, "png", "image/png");
    }

    static ImageInput encode(BufferedImage image, String format, String mediaType) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(image, format, out)).isTrue();
        return new ImageInput(out.toByteArray(), mediaType);
    }

    static BufferedImage noise(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        java.util.Random random = new java.util.Random(width * 31L + height);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return image;
    }

    private static int[] pixel(RgbImage image, int x, int y) {
        return new int[] {image.sample(x, y, 0), image.sample(x, y, 1), image.sample(x, y, 2)};
    }

    /** PNG signature, an IHDR chunk claiming the size, a one-byte IDAT and IEND: a header that promises a bomb. */
    private static byte[] pngHeaderOnly(int width, int height) {
        ByteBuffer ihdr = ByteBuffer.allocate(13)
                .putInt(width)
                .putInt(height)
                .put((byte) 8)
                .put((byte) 2)
                .put((byte) 0)
                .put((byte) 0)
                .put((byte) 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", new byte[] {0x78});
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
