package io.tributary.model.vision;

import io.tributary.model.LoadOptions;
import io.tributary.model.ModelLoadException;
import io.tributary.model.clip.ReferenceClip;
import io.tributary.model.image.ClipImageProcessor;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.llama.ReferenceLlama;
import io.tributary.model.llava.LlavaExpert;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.tributary.model.vision.TowerCheckpoints.IMAGE;
import static io.tributary.model.vision.TowerCheckpoints.png;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The router's CLIP features against {@link ReferenceClip}, and one encoder run per image shared by the router and
 * the experts when their towers have the same content.
 */
class ClipFeatureExtractorTest {

    private static final long TOWER = 100;

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private VisionTowers towers = new VisionTowers();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        towers.close();
    }

    private ClipFeatureExtractor router(Path checkpoint) {
        ClipFeatureExtractor router =
                ClipFeatureExtractor.load(checkpoint, LoadOptions.cpu(), ImageLimits.DEFAULT, towers);
        open.add(router);
        return router;
    }

    private LlavaExpert expert(int k, long towerSeed) throws IOException {
        Path checkpoint = TowerCheckpoints.llava(dir.resolve("expert-" + k), k, towerSeed);
        LlavaExpert expert = LlavaExpert.load(
                "e" + k,
                checkpoint,
                LoadOptions.cpu(),
                ClipImageProcessor.forCheckpoint(checkpoint, ImageLimits.DEFAULT),
                towers);
        open.add(expert);
        return expert;
    }

    /** Mean over the images of the reference's projected embedding of each image's CLIP-preprocessed pixels. */
    private static double[] reference(Path checkpoint, JsonNode visionConfig, ImageInput... images) throws IOException {
        ReferenceClip clip = new ReferenceClip(ReferenceLlama.readSafetensors(checkpoint), visionConfig, "");
        ClipImageProcessor processor = ClipImageProcessor.forCheckpoint(checkpoint, ImageLimits.DEFAULT);
        double[] mean = null;
        for (ImageInput image : images) {
            double[] embeds = clip.imageEmbeds(processor.process(image).get(0).data());
            mean = mean == null ? new double[embeds.length] : mean;
            for (int i = 0; i < embeds.length; i++) {
                mean[i] += embeds[i] / images.length;
            }
        }
        return mean;
    }

    private static void assertClose(float[] actual, double[] expected) {
        assertThat(actual).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("feature %d", i).isCloseTo(expected[i], within(1e-4));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"CLIPVisionModelWithProjection", "CLIPModel"})
    void featuresAreTheProjectedImageEmbeddingAveragedOverTheImages(String layout) throws IOException {
        boolean clipModel = layout.equals("CLIPModel");
        Path checkpoint = TowerCheckpoints.clip(dir.resolve("clip"), TOWER, clipModel);
        ClipFeatureExtractor router = router(checkpoint);
        JsonNode config = new ObjectMapper().readTree(Files.readString(checkpoint.resolve("config.json")));
        JsonNode vision = clipModel ? config.get("vision_config") : config;

        assertThat(router.dimension()).isEqualTo(TowerCheckpoints.SPEC.projectionDim());
        Optional<float[]> one = router.extract(new Prompt(new int[] {1, IMAGE}, List.of(png(1))));
        assertClose(one.orElseThrow(), reference(checkpoint, vision, png(1)));
        Optional<float[]> two = router.extract(new Prompt(new int[] {1, IMAGE, 5, IMAGE}, List.of(png(1), png(2))));
        assertClose(two.orElseThrow(), reference(checkpoint, vision, png(1), png(2)));
        assertThat(router.extract(Prompt.ofTokens(1, 2, 3))).as("text-only").isEmpty();
        assertThat(router.liveArrays())
                .as("the projection only, between requests")
                .isEqualTo(1);
    }

    @Test
    void aBatchThroughTheTowerGivesEachImagesOwnEmbeddingAndLeaksNothing() throws IOException {
        Path checkpoint = TowerCheckpoints.clip(dir.resolve("clip"), TOWER, false);
        ClipFeatureExtractor router = router(checkpoint);
        JsonNode vision = new ObjectMapper().readTree(Files.readString(checkpoint.resolve("config.json")));
        float[][] rows = router.embedEach(List.of(png(1), png(2), png(3)));
        assertThat(rows).hasNumberOfRows(3);
        for (int i = 0; i < 3; i++) {
            assertClose(rows[i], reference(checkpoint, vision, png(i + 1)));
        }
        assertThat(router.liveArrays())
                .as("the projection only, after the batch")
                .isEqualTo(1);
    }

    @Test
    void routerAndExpertsOnTheSameTowerEncodeEachImageOnce() throws IOException {
        ClipFeatureExtractor router = router(TowerCheckpoints.clip(dir.resolve("clip"), TOWER, false));
        List<LlavaExpert> experts = List.of(expert(0, TOWER), expert(1, TOWER));
        assertThat(towers.towers())
                .as("the router's CLIP is the experts' frozen tower")
                .isEqualTo(1);
        assertThat(router.towerDigest()).hasSize(64);

        Prompt prompt = new Prompt(new int[] {1, IMAGE, 40, IMAGE, 41}, List.of(png(1), png(2)));
        router.extract(prompt); // the router first, as the decode loop routes before prefilling
        for (LlavaExpert expert : experts) {
            try (ExpertSession session = expert.open(prompt)) {
                session.nextLogProbs();
            }
        }
        assertThat(towers.encodes()).as("router + 2 experts, 2 images").isEqualTo(2);
    }

    @Test
    void expertsFirstThenTheRouterStillShareOneRunThatKeptWhatBothRead() throws IOException {
        List<LlavaExpert> experts = List.of(expert(0, TOWER), expert(1, TOWER));
        Path clip = TowerCheckpoints.clip(dir.resolve("clip"), TOWER, false);
        ClipFeatureExtractor router = router(clip);
        Prompt prompt = new Prompt(new int[] {1, IMAGE, 40}, List.of(png(3)));
        for (LlavaExpert expert : experts) {
            try (ExpertSession session = expert.open(prompt)) {
                session.nextLogProbs();
            }
        }
        float[] features = router.extract(prompt).orElseThrow();
        assertThat(towers.encodes()).isEqualTo(1);
        towers.clearCache();
        assertThat(router(clip).extract(prompt).orElseThrow())
                .as("from the cache as from a fresh run (of a router that has not seen the image)")
                .containsExactly(features);
        assertThat(towers.encodes()).isEqualTo(2);
    }

    @Test
    void theSameImagesAgainAreRoutedByTheFeaturesKeptWithoutTheTower() throws IOException {
        ClipFeatureExtractor router = router(TowerCheckpoints.clip(dir.resolve("clip"), TOWER, false));
        Prompt prompt = new Prompt(new int[] {1, IMAGE, 40, IMAGE}, List.of(png(1), png(2)));
        float[] first = router.extract(prompt).orElseThrow();
        assertThat(towers.encodes()).isEqualTo(2);
        towers.clearCache();

        float[] again = router.extract(new Prompt(new int[] {1, IMAGE, 7, IMAGE}, List.of(png(1), png(2))))
                .orElseThrow();
        assertThat(again).as("the same images, another question").containsExactly(first);
        assertThat(towers.encodes())
                .as("no encoder run, though the tower's cache was cleared")
                .isEqualTo(2);
        again[0] = Float.NaN;
        assertThat(router.extract(prompt).orElseThrow())
                .as("a caller's copy: changing it changes nothing kept")
                .containsExactly(first);

        router.extract(new Prompt(new int[] {1, IMAGE, 40, IMAGE}, List.of(png(2), png(1))));
        assertThat(towers.encodes())
                .as("the images in another order are another prompt")
                .isEqualTo(4);
        assertThat(router.liveArrays()).as("the projection only").isEqualTo(1);
    }

    @Test
    void aRouterWithAnotherClipEncodesOnItsOwn() throws IOException {
        ClipFeatureExtractor router = router(TowerCheckpoints.clip(dir.resolve("clip"), 200, false));
        LlavaExpert expert = expert(0, TOWER);
        assertThat(towers.towers()).isEqualTo(2);
        Prompt prompt = new Prompt(new int[] {1, IMAGE}, List.of(png(4)));
        router.extract(prompt);
        try (ExpertSession session = expert.open(prompt)) {
            session.nextLogProbs();
        }
        assertThat(towers.encodes()).isEqualTo(2);
    }

    @Test
    void aVisionModelWithoutProjectionIsRefusedNamingWhatIsMissing() throws IOException {
        Path checkpoint = TowerCheckpoints.clip(dir.resolve("clip"), TOWER, false);
        List<Tensor> bare = new ArrayList<>(); // a CLIPVisionModel: no visual_projection
        for (Tensor t : TowerCheckpoints.tower(TOWER)) {
            bare.add(new Tensor(t.name().substring("vision_tower.".length()), t.dtype(), t.shape(), t.values()));
        }
        SafetensorsWriter.write(checkpoint.resolve("model.safetensors"), bare, Map.of());
        assertThatThrownBy(() -> router(checkpoint))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'visual_projection.weight'");
        assertThat(towers.towers()).isZero();
    }
}
