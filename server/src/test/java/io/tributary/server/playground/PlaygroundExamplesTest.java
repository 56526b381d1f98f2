package io.tributary.server.playground;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PlaygroundExamplesTest {

    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3};

    @TempDir
    Path dir;

    @Test
    void examplesBesideTheManifestComeWithTheirImagesAsDataUris() throws Exception {
        Path examples = Files.createDirectories(dir.resolve("examples"));
        Files.write(examples.resolve("digit.png"), PNG);
        Files.writeString(examples.resolve("examples.json"), """
                [{"image": "digit.png", "question": "What digit is shown?", "answer": "3"},
                 {"image": "digit.png", "question": "Which digit?"}]""");

        List<PlaygroundExamples.Example> read =
                PlaygroundExamples.beside(dir.resolve("mixture.yaml")).all();

        assertThat(read)
                .containsExactly(
                        new PlaygroundExamples.Example(
                                "data:image/png;base64," + Base64.getEncoder().encodeToString(PNG),
                                "What digit is shown?",
                                "3"),
                        new PlaygroundExamples.Example(
                                "data:image/png;base64," + Base64.getEncoder().encodeToString(PNG),
                                "Which digit?",
                                null));
    }

    @Test
    void aMixtureWithoutExamplesOffersNone() {
        assertThat(PlaygroundExamples.beside(dir.resolve("mixture.yaml")).all()).isEmpty();
    }

    @Test
    void examplesThatCannotBeReadAreLeftOutInsteadOfStoppingTheServer() throws Exception {
        Path examples = Files.createDirectories(dir.resolve("examples"));
        Files.write(dir.resolve("secret.png"), PNG);
        for (String index : List.of(
                "[{\"image\": \"../secret.png\", \"question\": \"q\"}]",
                "[{\"image\": \"absent.png\", \"question\": \"q\"}]",
                "[{\"image\": \"notes.txt\", \"question\": \"q\"}]",
                "[{\"question\": \"no image\"}]",
                "not json")) {
            Files.writeString(examples.resolve("examples.json"), index);
            assertThat(PlaygroundExamples.beside(dir.resolve("mixture.yaml")).all())
                    .as(index)
                    .isEmpty();
        }
    }
}
