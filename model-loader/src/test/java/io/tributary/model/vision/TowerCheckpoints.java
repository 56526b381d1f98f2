package io.tributary.model.vision;

import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import io.tributary.model.tiny.TinyClip;
import io.tributary.model.tiny.TinyLlava;
import io.tributary.model.tiny.TinyLlavaSpec;
import io.tributary.routing.ImageInput;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Tiny checkpoints whose CLIP towers are the same tensors, byte for byte, or not: LLaVA experts with their own
 * decoder and projector (seed) around the tower of another seed, and CLIP checkpoints for the router holding that
 * tower under {@code vision_model.*} plus a {@code visual_projection}, in another file order.
 */
final class TowerCheckpoints {

    static final TinyLlavaSpec SPEC = TinyLlavaSpec.forTests().withSharpWeights(true);
    static final int IMAGE = TinyLlavaSpec.IMAGE_TOKEN_ID;
    private static final String LLAVA_TOWER = "vision_tower.";

    private TowerCheckpoints() {}

    /** A LLaVA expert: decoder and projector from {@code seed}, the vision tower from {@code towerSeed}. */
    static Path llava(Path dir, long seed, long towerSeed) throws IOException {
        TinyLlava.write(dir, SPEC, seed, towerSeed);
        return dir;
    }

    /** LLaVA's vision tower tensors of {@code towerSeed}, under their LLaVA keys. */
    static List<Tensor> tower(long towerSeed) {
        return TinyLlava.weights(SPEC, towerSeed).stream()
                .filter(t -> t.name().startsWith(LLAVA_TOWER))
                .toList();
    }

    /** A CLIP checkpoint of the tower of {@code towerSeed} (see {@link TinyClip}). */
    static Path clip(Path dir, long towerSeed, boolean clipModel) throws IOException {
        TinyClip.write(dir, SPEC, towerSeed, clipModel);
        return dir;
    }

    /** A real PNG of random colours, 20 x 14 pixels (so preprocessing resizes and crops it). */
    static ImageInput png(int seed) {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(20, 14, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ImageIO.write(image, "png", bytes);
            return new ImageInput(bytes.toByteArray(), "image/png");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
