package io.tributary.tools.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.LoadOptions;
import io.tributary.model.NativeTarget;
import io.tributary.model.checkpoint.CheckpointTensors;
import io.tributary.model.image.PixelValues;
import io.tributary.model.llava.TrainableLlava;
import io.tributary.model.tiny.TinyLlava;
import io.tributary.model.tiny.TinyLlavaSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Training a tiny LLaVA through {@link TrainableLlava}, the served forward pass with trainable weights. */
class LlavaTrainerTest {

    private static final TinyLlavaSpec SPEC = TinyLlavaSpec.forTests();

    @TempDir
    Path temp;

    @Test
    void savingUntrainedWeightsGivesBackTheCheckpoint() throws IOException {
        Path original = temp.resolve("original");
        TinyLlava.write(original, SPEC.withSharpWeights(true), 3);
        try (TrainableLlava model = TrainableLlava.open(original)) {
            model.save(temp.resolve("saved"));
        }
        CheckpointTensors before = CheckpointTensors.open(original);
        CheckpointTensors after = CheckpointTensors.open(temp.resolve("saved"));
        assertThat(after.names()).containsExactlyInAnyOrderElementsOf(before.names());
        try (NDManager manager = NativeTarget.newModelManager(LoadOptions.cpu(), "test")) {
            for (String name : before.names()) {
                NDArray expected = before.load(name, manager, DataType.FLOAT32);
                NDArray actual = after.load(name, manager, DataType.FLOAT32);
                assertThat(actual.getShape()).as(name).isEqualTo(expected.getShape());
                assertThat(actual.allClose(expected, 1e-6, 1e-6, false))
                        .as(name)
                        .isTrue();
            }
        }
    }

    @Test
    void trainingLowersTheAnswerLossAndTheSavedCheckpointScoresAsTrained() throws IOException {
        Path original = temp.resolve("original");
        TinyLlava.write(original, SPEC, 5);
        // Four "images" (noise from four seeds), each with its own two-token answer.
        List<TrainableLlava.Example> examples = new ArrayList<>();
        for (int image = 0; image < 4; image++) {
            int[] prompt = {1, 40, TinyLlavaSpec.IMAGE_TOKEN_ID, 41, 42};
            examples.add(new TrainableLlava.Example(prompt, noise(image), new int[] {100 + image, 2}));
        }
        LlavaTrainer.Settings settings = new LlavaTrainer.Settings(
                60, 4, new LearningRate(1e-2, 5, 60, 0.1), AdamW.Settings.defaults(), true, 11, 20);
        float[] trained;
        try (TrainableLlava model = TrainableLlava.open(original)) {
            LlavaTrainer.Report report = LlavaTrainer.train(model, examples, settings, line -> {});
            assertThat(report.lastLoss()).isLessThan(report.firstLoss() / 4);
            trained = scores(model, examples);
            model.save(temp.resolve("trained"));
        }
        try (TrainableLlava reopened = TrainableLlava.open(temp.resolve("trained"))) {
            float[] reloaded = scores(reopened, examples);
            for (int i = 0; i < trained.length; i++) {
                assertThat(reloaded[i]).isCloseTo(trained[i], org.assertj.core.data.Offset.offset(1e-4f));
            }
        }
        assertThat(trained[0]).as("the trained answer is likely").isGreaterThan((float) Math.log(0.5));
    }

    @Test
    void theSameSeedTrainsTheSameWeights() throws IOException {
        Path original = temp.resolve("original");
        TinyLlava.write(original, SPEC, 5);
        List<TrainableLlava.Example> examples = new ArrayList<>();
        for (int image = 0; image < 6; image++) {
            int[] prompt = {1, 40, TinyLlavaSpec.IMAGE_TOKEN_ID, 41};
            examples.add(new TrainableLlava.Example(prompt, noise(image), new int[] {100 + image % 3, 2}));
        }
        LlavaTrainer.Settings settings = new LlavaTrainer.Settings(
                8, 3, new LearningRate(1e-2, 2, 8, 0.1), AdamW.Settings.defaults(), true, 21, 4);
        for (String run : List.of("untrained", "a", "b")) {
            try (TrainableLlava model = TrainableLlava.open(original)) {
                if (!run.equals("untrained")) {
                    LlavaTrainer.train(model, examples, settings, line -> {});
                }
                model.save(temp.resolve(run));
            }
        }
        assertThat(Files.readAllBytes(temp.resolve("a/model.safetensors")))
                .isEqualTo(Files.readAllBytes(temp.resolve("b/model.safetensors")))
                .isNotEqualTo(Files.readAllBytes(temp.resolve("untrained/model.safetensors")));
    }

    private static float[] scores(TrainableLlava model, List<TrainableLlava.Example> examples) {
        try (NDManager step = NativeTarget.newModelManager(LoadOptions.cpu(), "score")) {
            return model.answerLogProbs(examples, step).toFloatArray();
        }
    }

    /** Pixel values of an "image" that is normal noise drawn from {@code seed}, the range of normalised pixels. */
    private static PixelValues noise(int seed) {
        Random random = new Random(seed);
        int size = SPEC.imageSize();
        float[] data = new float[3 * size * size];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        return new PixelValues(data, 3, size, size);
    }
}
