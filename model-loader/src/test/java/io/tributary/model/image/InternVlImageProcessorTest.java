package io.tributary.model.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * InternVL tiling against OpenGVLab's {@code dynamic_preprocess} run on Pillow 9.4 (the README's code, on
 * {@link PilBicubicTest#pattern} images): same grid, same tiles and thumbnail, byte for byte.
 */
class InternVlImageProcessorTest {

    @ParameterizedTest(name = "{0}x{1}, {2}-px tiles, at most {3}")
    @CsvSource({
        "500, 300, 28, 6, 3, 2, 7, d774f2f7c5d2983ebdc56aa48e130565e1d8e4d10466f66bf3e4515858d74ac7",
        "300, 500, 28, 12, 2, 3, 7, 4df015887ce1453515735e0270bfeb831987bc3a1d0d004ea579e49a7992ead4",
        "40, 40, 28, 12, 2, 2, 5, 82b49b076f5855dccdb93b7d18df63bd3e8fbff9d0e47a27829fa4f899fb1517",
        "1000, 1000, 28, 12, 3, 3, 10, 5d206cfd070345565722e74aaa4a6f56d6d63382c07e01118c9c9cb60df5f1dc",
        "90, 20, 16, 12, 5, 1, 6, a38b9184fb44e55325cfc895dbb125d0d6d14f45aa6f0456abc597757dcf9ea5"
    })
    void tilesMatchOpenGvLabOnPillow(int w, int h, int size, int max, int columns, int rows, int count, String sha256)
            throws Exception {
        assertThat(TileGrid.choose(w, h, size, 1, max)).isEqualTo(new TileGrid(columns, rows));
        InternVlImageProcessor processor =
                new InternVlImageProcessor(InternVlTilingConfig.of(size, 1, max, true), ImageLimits.DEFAULT);
        List<RgbImage> tiles = processor.tiles(PilBicubicTest.pattern(w, h));
        assertThat(tiles).hasSize(count).allSatisfy(t -> assertThat(t.width()).isEqualTo(size));
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        tiles.forEach(t -> digest.update(t.rgb()));
        assertThat(HexFormat.of().formatHex(digest.digest())).isEqualTo(sha256);
    }

    @Test
    void tieBreakPrefersMoreTilesOnlyForLargeEnoughImages() {
        // A square ties between 1x1, 2x2, 3x3: 2x2 wins when the area exceeds half of 4 tiles (2 * 448^2).
        assertThat(TileGrid.choose(448, 448, 448, 1, 12)).isEqualTo(new TileGrid(1, 1));
        assertThat(TileGrid.choose(633, 633, 448, 1, 12)).isEqualTo(new TileGrid(1, 1)); // 400689 < 401408
        assertThat(TileGrid.choose(634, 634, 448, 1, 12)).isEqualTo(new TileGrid(2, 2)); // 401956 > 401408
        assertThat(TileGrid.choose(4000, 4000, 448, 1, 12)).isEqualTo(new TileGrid(3, 3));
        // Very wide: 12x1 is the closest ratio available.
        assertThat(TileGrid.choose(10000, 100, 448, 1, 12)).isEqualTo(new TileGrid(12, 1));
        // min_num excludes small grids.
        assertThat(TileGrid.choose(448, 448, 448, 4, 12)).isEqualTo(new TileGrid(2, 2));
    }

    @Test
    void singleTileHasNoThumbnailAndNormalisationIsTorchvisionsFloat32() {
        InternVlImageProcessor processor =
                new InternVlImageProcessor(InternVlTilingConfig.of(4, 1, 12, true), ImageLimits.DEFAULT);
        RgbImage image = PilBicubicTest.pattern(4, 4);
        assertThat(processor.tiles(image)).hasSize(1);
        PixelValues values = Normalization.of(
                        Normalization.Rescale.TORCH_FLOAT32_DIVISION,
                        1 / 255.0,
                        Normalization.IMAGENET_MEAN,
                        Normalization.IMAGENET_STD)
                .apply(processor.tiles(image).get(0));
        assertThat(values.channels()).isEqualTo(3);
        int v = image.sample(2, 1, 1); // channel G, row 1, column 2
        float expected = (v / 255f - 0.456f) / 0.224f;
        assertThat(values.data()[16 + 4 + 2]).isEqualTo(expected);
    }

    @Test
    void processDecodesAndReturnsOneEntryPerTilePlusThumbnail() throws Exception {
        InternVlImageProcessor processor =
                new InternVlImageProcessor(InternVlTilingConfig.of(14, 1, 6, true), ImageLimits.DEFAULT);
        List<PixelValues> tiles = processor.process(ImageDecoderTest.png(ImageDecoderTest.noise(40, 20)));
        assertThat(tiles).hasSize(3); // 2x1 grid + thumbnail
        assertThat(tiles).allSatisfy(t -> assertThat(t.data()).hasSize(3 * 14 * 14));
    }
}
