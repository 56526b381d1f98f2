package io.tributary.model.llava;

import io.tributary.model.image.ImageProcessor;
import io.tributary.model.image.PixelValues;
import io.tributary.routing.ImageInput;
import io.tributary.routing.refusal.ImageRefusedException;

import java.util.List;
import java.util.Random;

/**
 * A stand-in for the CLIP image processor: an "image" is one byte, a seed, and its pixel values are normal noise
 * (the range of normalised pixels) drawn from it. Lets the LLaVA path be tested apart from image decoding.
 */
final class TestImages implements ImageProcessor {

    private final int size;

    TestImages(int size) {
        this.size = size;
    }

    static ImageInput image(int seed) {
        return new ImageInput(new byte[] {(byte) seed}, "image/x-test");
    }

    PixelValues pixels(int seed) {
        Random random = new Random(seed);
        float[] data = new float[3 * size * size];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        return new PixelValues(data, 3, size, size);
    }

    @Override
    public List<PixelValues> process(ImageInput image) {
        if (image.bytes().length != 1) {
            throw new ImageRefusedException("not a test image");
        }
        return List.of(pixels(image.bytes()[0]));
    }
}
