package io.tributary.model.image;

/**
 * Bytes to normalised channel-first floats. The two libraries the families use round differently, and each is
 * reproduced exactly in float32: transformers' numpy processors multiply by the rescale factor in float64 and
 * round once to float32; torchvision's {@code ToTensor} divides by 255 in float32. Both then compute
 * {@code (x - mean) / std} in float32. (For the factor 1/255 the two roundings agree on all 256 byte values; they
 * differ for other factors, which torchvision ignores.)
 */
public record Normalization(Rescale rescale, double rescaleFactor, float[] mean, float[] std) {

    /** How a byte becomes a float in [0, 1]. */
    public enum Rescale {
        /** transformers: {@code float32(byte * factor)}, the product taken in float64. */
        NUMPY_FLOAT64_PRODUCT,
        /** torchvision ToTensor: {@code byte / 255f} in float32. */
        TORCH_FLOAT32_DIVISION
    }

    public static final double[] CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    public static final double[] CLIP_STD = {0.26862954, 0.26130258, 0.27577711};
    public static final double[] IMAGENET_MEAN = {0.485, 0.456, 0.406};
    public static final double[] IMAGENET_STD = {0.229, 0.224, 0.225};

    public Normalization {
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("image_mean and image_std need 3 values each");
        }
        mean = mean.clone();
        std = std.clone();
    }

    public static Normalization of(Rescale rescale, double rescaleFactor, double[] mean, double[] std) {
        return new Normalization(rescale, rescaleFactor, toFloats(mean), toFloats(std));
    }

    public PixelValues apply(RgbImage image) {
        int plane = image.width() * image.height();
        float[] data = new float[3 * plane];
        byte[] rgb = image.rgb();
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane; i++) {
                int value = rgb[3 * i + c] & 0xFF;
                float scaled =
                        rescale == Rescale.TORCH_FLOAT32_DIVISION ? value / 255f : (float) (value * rescaleFactor);
                data[c * plane + i] = (scaled - mean[c]) / std[c];
            }
        }
        return new PixelValues(data, 3, image.height(), image.width());
    }

    private static float[] toFloats(double[] values) {
        float[] floats = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            floats[i] = (float) values[i];
        }
        return floats;
    }
}
