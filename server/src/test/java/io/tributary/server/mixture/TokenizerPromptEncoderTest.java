package io.tributary.server.mixture;

import io.tributary.model.image.ImageDecoder;
import io.tributary.model.image.ImageLimits;
import io.tributary.routing.ImageInput;
import io.tributary.routing.refusal.ImageRefusedException;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenizerPromptEncoderTest {

    private final AtomicInteger decodes = new AtomicInteger();
    // At most 64 pixels: an 8x8 image passes, a 9x9 one is too large.
    private final ImageDecoder decoder = new ImageDecoder(new ImageLimits(1 << 20, 64));
    private final TokenizerPromptEncoder encoder = new TokenizerPromptEncoder(
            null,
            Optional.of("<image>"),
            image -> {
                decodes.incrementAndGet();
                decoder.decode(image);
            },
            Optional.empty());

    @Test
    void anImageThatDecodedWithinTheLimitsIsNotDecodedAgainToBeChecked() throws IOException {
        ImageInput picture = png(8, 8);
        encoder.checkImage(picture);
        encoder.checkImage(new ImageInput(picture.bytes().clone(), "image/png"));
        assertThat(decodes).as("the same bytes, sent again").hasValue(1);

        encoder.checkImage(new ImageInput(picture.bytes(), "image/x-portable"));
        assertThat(decodes)
                .as("the same bytes as another media type are another image")
                .hasValue(2);
        encoder.checkImage(png(4, 8));
        assertThat(decodes).hasValue(3);
    }

    @Test
    void aRefusedImageIsRefusedEveryTimeItIsSent() throws IOException {
        ImageInput tooLarge = png(9, 9);
        for (int attempt = 0; attempt < 2; attempt++) {
            assertThatThrownBy(() -> encoder.checkImage(tooLarge))
                    .isInstanceOf(ImageRefusedException.class)
                    .hasMessageContaining("81");
        }
        assertThat(decodes).hasValue(2);
        ImageInput broken = new ImageInput(new byte[] {1, 2, 3}, "image/png");
        for (int attempt = 0; attempt < 2; attempt++) {
            assertThatThrownBy(() -> encoder.checkImage(broken)).isInstanceOf(ImageRefusedException.class);
        }
        assertThat(decodes).hasValue(4);
    }

    @Test
    void onlyTheMostRecentlyCheckedImagesAreRemembered() throws IOException {
        ImageInput first = png(1, 1, 0);
        encoder.checkImage(first);
        for (int i = 1; i <= TokenizerPromptEncoder.REMEMBERED_IMAGES; i++) {
            encoder.checkImage(png(1, 1, i));
        }
        int before = decodes.get();
        encoder.checkImage(first);
        assertThat(decodes).as("forgotten, so decoded again").hasValue(before + 1);
    }

    private static ImageInput png(int width, int height) throws IOException {
        return png(width, height, 0x336699);
    }

    private static ImageInput png(int width, int height, int rgb) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, rgb);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(image, "png", bytes);
        return new ImageInput(bytes.toByteArray(), "image/png");
    }
}
