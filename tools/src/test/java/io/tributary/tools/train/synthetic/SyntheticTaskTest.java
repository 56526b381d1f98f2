package io.tributary.tools.train.synthetic;

import io.tributary.tools.train.synthetic.SyntheticTask.Split;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.IntBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SyntheticTaskTest {

    private static final int SIZE = SyntheticTask.IMAGE_SIZE;

    @TempDir
    Path dir;

    @Test
    void theSameSeedWritesByteIdenticalJsonAndTheSamePixelsTwice() throws Exception {
        SyntheticTask.write(dir.resolve("a"), 7, 4, 2, 2);
        SyntheticTask.write(dir.resolve("b"), 7, 4, 2, 2);
        for (Split split : Split.values()) {
            Path a = SyntheticTask.jsonFile(dir.resolve("a"), split);
            assertThat(Files.readAllBytes(a))
                    .isEqualTo(Files.readAllBytes(SyntheticTask.jsonFile(dir.resolve("b"), split)));
            for (SyntheticSample sample : SyntheticTask.read(a)) {
                assertThat(pixels(dir.resolve("a").resolve(sample.imagePath())))
                        .isEqualTo(pixels(dir.resolve("b").resolve(sample.imagePath())));
            }
        }
    }

    @Test
    void theFilesHoldWhatRenderingInMemoryGives() throws Exception {
        SyntheticTask.write(dir, 5, 3, 1, 2);
        List<SyntheticSample> test = SyntheticTask.read(SyntheticTask.jsonFile(dir, Split.TEST));
        assertThat(test).hasSize(2 * 4);
        assertThat(test.get(5))
                .isEqualTo(new SyntheticSample(
                        "digits-test-00001",
                        "digits",
                        "images/digits/test-00001.png",
                        "What digit is shown?",
                        test.get(5).answer()));
        for (SyntheticSample sample : test) {
            int index = Integer.parseInt(sample.id().substring(sample.id().length() - 5));
            RenderedSample rendered = SyntheticTask.render(5, sample.domain(), Split.TEST, index);
            assertThat(sample)
                    .isEqualTo(new SyntheticSample(
                            rendered.id(),
                            rendered.domain(),
                            sample.imagePath(),
                            rendered.question(),
                            rendered.answer()));
            assertThat(pixels(dir.resolve(sample.imagePath()))).isEqualTo(rendered.rgb());
        }
        assertThat(Files.readString(SyntheticTask.jsonFile(dir, Split.TEST)))
                .startsWith("[\n{\"id\":\"shapes-test-00000\",\"image\":\"images/shapes/test-00000.png\","
                        + "\"domain\":\"shapes\",\"conversations\":[{\"from\":\"human\",\"value\":\"<image>\\n");
    }

    @Test
    void aSampleDependsOnlyOnSeedDomainSplitAndIndexSoBiggerSplitsExtendSmallerOnes() throws Exception {
        SyntheticTask.write(dir.resolve("small"), 7, 2, 1, 0);
        SyntheticTask.write(dir.resolve("large"), 7, 5, 3, 2);
        for (Split split : List.of(Split.TRAIN, Split.VALIDATION)) {
            List<SyntheticSample> small = SyntheticTask.read(SyntheticTask.jsonFile(dir.resolve("small"), split));
            List<SyntheticSample> large = SyntheticTask.read(SyntheticTask.jsonFile(dir.resolve("large"), split));
            assertThat(large.subList(0, small.size())).isEqualTo(small);
        }
        assertThat(SyntheticTask.read(SyntheticTask.jsonFile(dir.resolve("small"), Split.TEST)))
                .isEmpty();
    }

    @Test
    void differentSeedsGiveDifferentImages() {
        for (String domain : SyntheticTask.domains()) {
            for (int index = 0; index < 20; index++) {
                assertThat(SyntheticTask.render(7, domain, Split.TRAIN, index).rgb())
                        .isNotEqualTo(SyntheticTask.render(8, domain, Split.TRAIN, index)
                                .rgb());
            }
        }
    }

    @Test
    void theSplitsShareNoImage() {
        for (String domain : SyntheticTask.domains()) {
            Set<IntBuffer> train = images(domain, Split.TRAIN, 1000);
            Set<IntBuffer> validation = images(domain, Split.VALIDATION, 200);
            Set<IntBuffer> test = images(domain, Split.TEST, 200);
            assertThat(train).as(domain).doesNotContainAnyElementsOf(validation).doesNotContainAnyElementsOf(test);
            assertThat(validation).as(domain).doesNotContainAnyElementsOf(test);
        }
    }

    @Test
    void badArgumentsAndFilesAreIllegalArguments() throws Exception {
        assertThatThrownBy(() -> SyntheticTask.render(7, "faces", Split.TRAIN, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("faces")
                .hasMessageContaining("bars");
        assertThatThrownBy(() -> SyntheticTask.render(7, "bars", Split.TRAIN, -1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SyntheticTask.write(dir, 7, 1, -1, 1)).isInstanceOf(IllegalArgumentException.class);
        Files.writeString(dir.resolve("object.json"), "{\"id\": 1}");
        assertThatThrownBy(() -> SyntheticTask.read(dir.resolve("object.json")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("JSON array");
        Files.writeString(dir.resolve("text.json"), "[{\"id\": \"x\", \"conversations\": []}]");
        assertThatThrownBy(() -> SyntheticTask.read(dir.resolve("text.json")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sample 0");
    }

    @Test
    void theImageIsTheRgbPixels() {
        RenderedSample sample = SyntheticTask.render(1, "colours", Split.VALIDATION, 3);
        BufferedImage image = sample.image();
        assertThat(image.getWidth()).isEqualTo(SIZE);
        assertThat(image.getRGB(0, 0, SIZE, SIZE, null, 0, SIZE))
                .isEqualTo(
                        Arrays.stream(sample.rgb()).map(rgb -> rgb | 0xFF000000).toArray());
    }

    private static Set<IntBuffer> images(String domain, Split split, int count) {
        Set<IntBuffer> images = new HashSet<>();
        for (int index = 0; index < count; index++) {
            images.add(
                    IntBuffer.wrap(SyntheticTask.render(7, domain, split, index).rgb()));
        }
        return images;
    }

    private static int[] pixels(Path png) throws Exception {
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(SIZE);
        assertThat(image.getHeight()).isEqualTo(SIZE);
        return Arrays.stream(image.getRGB(0, 0, SIZE, SIZE, null, 0, SIZE))
                .map(argb -> argb & 0xFFFFFF)
                .toArray();
    }
}
