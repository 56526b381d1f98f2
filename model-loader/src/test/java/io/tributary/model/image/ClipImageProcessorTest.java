package io.tributary.model.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.ObjectMapper;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * CLIP preprocessing against transformers' CLIPImageProcessor steps run with Pillow 9.4 (resize shortest edge,
 * int() offsets for the center crop, LLaVA's expand2square), on {@link PilBicubicTest#pattern} images.
 */
class ClipImageProcessorTest {

    @ParameterizedTest(name = "{0}x{1}, edge {2}, crop {3}, pad {4}")
    @CsvSource({
        "50, 30, 24, 24, false, 0c05f77bd5300209b6daba212a6009578189ddb01b3705b47e6399110bfcd166",
        "30, 50, 24, 24, true, 62f268f38fe8054b753b35e3bf24b6d0a692094e3483396d3f2d2a21bacb79be",
        "64, 64, 24, 20, false, cafcfeda36ec5e5c81d2eda0f5caa01ac94b16374ca6540cd0b09dbd156d6a9a"
    })
    void bytesMatchTransformersOnPillow(int w, int h, int edge, int crop, boolean pad, String sha256) throws Exception {
        ClipPreprocessorConfig config = new ClipPreprocessorConfig(
                true,
                edge,
                true,
                crop,
                crop,
                true,
                1 / 255.0,
                true,
                Normalization.CLIP_MEAN,
                Normalization.CLIP_STD,
                pad);
        RgbImage out = new ClipImageProcessor(config, ImageLimits.DEFAULT).prepare(PilBicubicTest.pattern(w, h));
        assertThat(out.width()).isEqualTo(crop);
        assertThat(out.height()).isEqualTo(crop);
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(out.rgb())))
                .isEqualTo(sha256);
    }

    @Test
    void padColourIsTheTruncatedMeanAndImageIsCentredRoundingDown() {
        RgbImage wide = RgbImage.filled(5, 2, 255, 255, 255);
        RgbImage square = ClipImageProcessor.padToSquare(wide, Normalization.CLIP_MEAN);
        assertThat(square.width()).isEqualTo(5);
        assertThat(square.height()).isEqualTo(5);
        assertThat(new int[] {square.sample(0, 0, 0), square.sample(0, 0, 1), square.sample(0, 0, 2)})
                .containsExactly(122, 116, 104);
        int[] column = new int[5];
        for (int y = 0; y < 5; y++) {
            column[y] = square.sample(2, y, 0);
        }
        assertThat(column).containsExactly(122, 255, 255, 122, 122); // pasted at (5 - 2) // 2 = 1
    }

    @Test
    void resizeKeepsAspectTruncatingTheLongSide() {
        assertThat(ClipImageProcessor.shortestEdgeSize(640, 480, 336)).containsExactly(448, 336);
        assertThat(ClipImageProcessor.shortestEdgeSize(500, 333, 336)).containsExactly(504, 336); // 504.5 -> 504
        assertThat(ClipImageProcessor.shortestEdgeSize(333, 500, 336)).containsExactly(336, 504);
    }

    @Test
    void normalisationIsNumpyFloat64ProductThenFloat32() {
        ClipPreprocessorConfig config = ClipPreprocessorConfig.defaults(2);
        PixelValues values =
                new ClipImageProcessor(config, ImageLimits.DEFAULT).preprocess(RgbImage.filled(2, 2, 200, 10, 0));
        assertThat(values.height()).isEqualTo(2);
        assertThat(values.data()[0]).isEqualTo(((float) (200 * (1 / 255.0)) - 0.48145466f) / 0.26862954f);
        assertThat(values.data()[4]).isEqualTo(((float) (10 * (1 / 255.0)) - 0.4578275f) / 0.26130258f);
        assertThat(values.data()[8]).isEqualTo((0f - 0.40821073f) / 0.27577711f);
    }

    @Test
    void readsLlavaPreprocessorConfig() throws Exception {
        ClipPreprocessorConfig config = ClipPreprocessorConfig.fromJson(new ObjectMapper().readTree("""
                {"crop_size": {"height": 336, "width": 336}, "do_center_crop": true, "do_normalize": true,
                 "do_resize": true, "image_mean": [0.48145466, 0.4578275, 0.40821073],
                 "image_processor_type": "CLIPImageProcessor", "image_std": [0.26862954, 0.26130258, 0.27577711],
                 "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 336}}"""));
        assertThat(config.shortestEdge()).isEqualTo(336);
        assertThat(config.cropHeight()).isEqualTo(336);
        assertThat(config.padToSquare()).isFalse();
        ClipPreprocessorConfig defaults = ClipPreprocessorConfig.fromJson(new ObjectMapper().readTree("{}"));
        assertThat(defaults.shortestEdge()).isEqualTo(224);
        assertThat(defaults.imageMean()).containsExactly(Normalization.CLIP_MEAN);
    }

    @Test
    void processGivesOneCropPerImage() throws Exception {
        ClipImageProcessor processor = new ClipImageProcessor(ClipPreprocessorConfig.defaults(14), ImageLimits.DEFAULT);
        List<PixelValues> out = processor.process(ImageDecoderTest.png(ImageDecoderTest.noise(30, 20)));
        assertThat(out).singleElement().satisfies(p -> assertThat(p.data()).hasSize(3 * 14 * 14));
    }
}
