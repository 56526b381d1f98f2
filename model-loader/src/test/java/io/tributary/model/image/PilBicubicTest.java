package io.tributary.model.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PIL parity of the bicubic resize. Golden outputs come from Pillow 9.4 ({@code Image.resize(size,
 * Image.BICUBIC)}, Debian's python3-pil) on the image {@link #pattern}; hand-computed cases pin the convention.
 */
class PilBicubicTest {

    /** Sample (x, y, c) = (37x + 91y + 53c + 7xy) mod 256: varied and reproducible in Python. */
    static RgbImage pattern(int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                for (int c = 0; c < 3; c++) {
                    rgb[3 * (y * width + x) + c] = (byte) ((x * 37 + y * 91 + c * 53 + x * y * 7) % 256);
                }
            }
        }
        return new RgbImage(width, height, rgb);
    }

    @Test
    void upscalingTwoPixelsOvershootsAndIsClampedAsComputedByHand() {
        // Output 0 of 2 -> 4: centre 0.25, taps at distances 0.25 and 1.25: weights 0.8671875 and -0.0703125,
        // normalised to 1.0882 and -0.0882. R [100, 200] -> [91, 121, 179, 209]; G [0, 255] overshoots below 0 at
        // the left end and above 255 at the right: clamped to [0, 53, 202, 255].
        RgbImage in = new RgbImage(2, 1, new byte[] {100, 0, (byte) 255, (byte) 200, (byte) 255, 0});
        RgbImage out = PilBicubic.resize(in, 4, 1);
        assertThat(channel(out, 0)).containsExactly(91, 121, 179, 209);
        assertThat(channel(out, 1)).containsExactly(0, 53, 202, 255);
        assertThat(channel(out, 2)).containsExactly(255, 202, 53, 0);
    }

    @Test
    void downscalingStretchesTheKernelAsComputedByHand() {
        // 4 -> 2: scale 2, so the kernel is stretched twice (support 4) and output 0 (centre 1.0) reads all four
        // inputs at distances 0.25, 0.25, 0.75, 1.25 (in stretched units): normalised weights .4587, .4587,
        // .1198, -.0372. [10, 50, 90, 250] -> 29.008 -> 29 and, mirrored, 161.57 -> 162 (rounded half up).
        byte[] rgb = new byte[12];
        int[] values = {10, 50, 90, 250};
        for (int i = 0; i < 12; i++) {
            rgb[i] = (byte) values[i / 3];
        }
        assertThat(channel(PilBicubic.resize(new RgbImage(4, 1, rgb), 2, 1), 0)).containsExactly(29, 162);
    }

    @ParameterizedTest(name = "{0}x{1} -> {2}x{3}")
    @CsvSource({
        "2, 2, 4, 4, 002a5f00356a14497e1f548912457a1b508531669b3d72a74579ae5186bb6a9fd476abe05f94c96ca1d687bcf194c9fe",
        "4, 1, 2, 1, 164b80598ec3",
        "7, 5, 3, 2, 66828d7a849488857f7e897e8c8a889a847c"
    })
    void matchesPillowByteForByte(int w, int h, int outW, int outH, String hex) {
        assertThat(PilBicubic.resize(pattern(w, h), outW, outH).rgb())
                .isEqualTo(HexFormat.of().parseHex(hex));
    }

    @ParameterizedTest(name = "{0}x{1} -> {2}x{3}")
    @CsvSource({
        "5, 3, 11, 8, 44128616c7107020126a80c8983e98af2d08988a353ec2e82c2f4710480ec766",
        "13, 9, 13, 4, 2da1d71e8ad5101ed911ba935d10df5289d365890cc5eb430a4351870b5138d0",
        "16, 16, 6, 10, 4f58151e5fd69cfe888f873cfceeaa8111c7891cdd7e7bcdaee8ea8325f34528",
        "3, 17, 5, 5, 6a4e4a525690c6fa57c5bb406844155aa468b7dd28959feb5d5a7c274ca5843f",
        "1000, 700, 448, 336, 7fd456fc64dc8da6c608ccb2fd8ae84ebad37f1b95c657abacadfb2a2244d1ae",
        "123, 77, 896, 448, e1548f23db77c5f8944f61d1530bbe14efa1a831c3433c5160a25f2c96d14770"
    })
    void matchesPillowDigests(int w, int h, int outW, int outH, String sha256) throws Exception {
        byte[] out = PilBicubic.resize(pattern(w, h), outW, outH).rgb();
        assertThat(out).hasSize(outW * outH * 3);
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(out)))
                .isEqualTo(sha256);
    }

    @Test
    void matchesThePlainReferenceOnRandomImagesAndSizes() {
        Random random = new Random(3);
        for (int trial = 0; trial < 60; trial++) {
            int w = 1 + random.nextInt(40);
            int h = 1 + random.nextInt(40);
            int outW = 1 + random.nextInt(60);
            int outH = 1 + random.nextInt(60);
            byte[] rgb = new byte[w * h * 3];
            random.nextBytes(rgb);
            RgbImage in = new RgbImage(w, h, rgb);
            int[][][] expected = ReferencePilResize.resize(ReferencePilResize.planes(in), outW, outH);
            assertThat(ReferencePilResize.planes(PilBicubic.resize(in, outW, outH)))
                    .as("%dx%d -> %dx%d", w, h, outW, outH)
                    .isDeepEqualTo(expected);
        }
    }

    @Test
    void sameSizeIsTheIdentity() {
        RgbImage in = pattern(9, 4);
        assertThat(PilBicubic.resize(in, 9, 4).rgb()).isEqualTo(in.rgb());
    }

    private static int[] channel(RgbImage image, int c) {
        int[] values = new int[image.width() * image.height()];
        for (int i = 0; i < values.length; i++) {
            values[i] = image.sample(i % image.width(), i / image.width(), c);
        }
        return values;
    }
}
