package io.tributary.tools.router;

import io.tributary.model.LoadOptions;
import io.tributary.model.tiny.TinyLlava;
import io.tributary.model.tiny.TinyLlavaSpec;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;
import io.tributary.server.mixture.ManifestReader;
import io.tributary.server.mixture.MixtureLoader;
import io.tributary.server.mixture.MixtureManifest;
import io.tributary.server.mixture.ServedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The batched scored prefill must give each expert's likelihood of the answer that decoding it token by token after
 * the question gives: Σ_t log p_k(a_t | question, image, a_&lt;t).
 */
class ResponseScorerTest {

    @TempDir
    Path dir;

    @Test
    void batchedAnswerLikelihoodsEqualTokenByTokenDecoding() throws Exception {
        TinyLlavaSpec spec = TinyLlavaSpec.forTests();
        TinyLlava.write(dir.resolve("expert-a"), spec, 1, 100);
        TinyLlava.write(dir.resolve("expert-b"), spec, 2, 100);
        Path manifest = ManifestReader.write(
                dir.resolve("mixture.yaml"), MixtureManifest.of("scored", null, "expert-a", "expert-b"));
        List<ResponseScorer.Item> items = List.of(
                item("What is it?", "A red disc.", DrawnImages.Kind.RED_DISC),
                item("Describe the picture.", "Blue stripes on black.", DrawnImages.Kind.BLUE_STRIPES),
                item("Colour?", "Green.", DrawnImages.Kind.GREEN_SQUARE));
        try (ServedModel model = new MixtureLoader(LoadOptions.cpu()).load(manifest)) {
            ResponseScorer scorer = new ResponseScorer(model.mixture().experts(), model.prompts());
            double[][] scores = scorer.score(items);
            for (int i = 0; i < items.size(); i++) {
                ResponseScorer.Item item = items.get(i);
                int[] question = scorer.encode(item.exchange(), item.images(), false);
                int[] whole = scorer.encode(item.exchange(), item.images(), true);
                assertThat(Arrays.copyOf(whole, question.length))
                        .as("the question is a prefix")
                        .isEqualTo(question);
                for (int k = 0; k < 2; k++) {
                    assertThat(scores[i][k])
                            .as("item %d, expert %d", i, k)
                            .isCloseTo(decoded(model.mixture().experts().get(k), item, question, whole), within(1e-3));
                }
            }
        }
    }

    private static double decoded(Expert expert, ResponseScorer.Item item, int[] question, int[] whole) {
        double sum = 0;
        try (ExpertSession session = expert.open(new Prompt(question, item.images()))) {
            for (int t = question.length; t < whole.length; t++) {
                sum += session.nextLogProbs()[whole[t]];
                session.append(whole[t]);
            }
        }
        return sum;
    }

    private static ResponseScorer.Item item(String question, String answer, DrawnImages.Kind kind) throws Exception {
        return new ResponseScorer.Item(
                new ResponseScorer.Exchange(question, answer),
                List.of(new ImageInput(DrawnImages.png(kind, 7), "image/png")));
    }
}
