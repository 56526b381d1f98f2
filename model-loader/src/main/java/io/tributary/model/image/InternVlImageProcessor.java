package io.tributary.model.image;

import io.tributary.routing.ImageInput;

import java.util.ArrayList;
import java.util.List;

/**
 * InternVL's image pipeline (OpenGVLab's {@code load_image}): pick a {@link TileGrid}, resize the whole image to
 * it with PIL bicubic, cut it into tiles row by row, append a thumbnail (the whole image resized to one tile)
 * when there is more than one tile, then per tile {@code ToTensor} and ImageNet normalisation. The tiles are
 * already tile-sized, so the {@code T.Resize} in {@code build_transform} leaves them unchanged.
 */
public final class InternVlImageProcessor implements ImageProcessor {

    private final InternVlTilingConfig config;
    private final ImageDecoder decoder;
    private final Normalization normalization;

    public InternVlImageProcessor(InternVlTilingConfig config, ImageLimits limits) {
        this.config = config;
        this.decoder = new ImageDecoder(limits);
        this.normalization = Normalization.of(
                Normalization.Rescale.TORCH_FLOAT32_DIVISION, 1 / 255.0, config.imageMean(), config.imageStd());
    }

    public InternVlTilingConfig config() {
        return config;
    }

    @Override
    public List<PixelValues> process(ImageInput image) {
        List<PixelValues> tiles = new ArrayList<>();
        for (RgbImage tile : tiles(decoder.decode(image))) {
            tiles.add(normalization.apply(tile));
        }
        return tiles;
    }

    @Override
    public int tileCount(ImageInput image) {
        ImageDecoder.Size size = decoder.size(image);
        int tiles = grid(size.width(), size.height()).tiles();
        return config.useThumbnail() && tiles != 1 ? tiles + 1 : tiles;
    }

    /** {@code dynamic_preprocess}: the tiles in row-major order, then the thumbnail if any. */
    public List<RgbImage> tiles(RgbImage image) {
        int size = config.imageSize();
        TileGrid grid = grid(image.width(), image.height());
        RgbImage resized = PilBicubic.resize(image, size * grid.columns(), size * grid.rows());
        List<RgbImage> tiles = new ArrayList<>();
        for (int i = 0; i < grid.tiles(); i++) {
            tiles.add(resized.crop(i % grid.columns() * size, i / grid.columns() * size, size, size));
        }
        if (config.useThumbnail() && tiles.size() != 1) {
            tiles.add(PilBicubic.resize(image, size, size));
        }
        return tiles;
    }

    private TileGrid grid(int width, int height) {
        return TileGrid.choose(width, height, config.imageSize(), config.minTiles(), config.maxTiles());
    }
}
