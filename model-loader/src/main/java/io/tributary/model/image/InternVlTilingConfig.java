package io.tributary.model.image;

/**
 * How InternVL tiles an image: tile side in pixels ({@code force_image_size} or the vision config's
 * {@code image_size}), the allowed tile counts ({@code min_dynamic_patch}, {@code max_dynamic_patch}), whether a
 * thumbnail follows the tiles ({@code use_thumbnail}), and the normalisation (ImageNet's for InternVL).
 */
public record InternVlTilingConfig(
        int imageSize, int minTiles, int maxTiles, boolean useThumbnail, double[] imageMean, double[] imageStd) {

    public InternVlTilingConfig {
        if (imageSize <= 0 || minTiles < 1 || maxTiles < minTiles) {
            throw new IllegalArgumentException("need image_size > 0 and 1 <= min_dynamic_patch <= max_dynamic_patch,"
                    + " got " + imageSize + ", " + minTiles + ", " + maxTiles);
        }
        imageMean = imageMean.clone();
        imageStd = imageStd.clone();
    }

    /** OpenGVLab's {@code load_image} defaults: 448-px tiles, 1 to 12 of them, with a thumbnail. */
    public static InternVlTilingConfig defaults() {
        return of(448, 1, 12, true);
    }

    public static InternVlTilingConfig of(int imageSize, int minTiles, int maxTiles, boolean useThumbnail) {
        return new InternVlTilingConfig(
                imageSize, minTiles, maxTiles, useThumbnail, Normalization.IMAGENET_MEAN, Normalization.IMAGENET_STD);
    }
}
