package io.tributary.tools.train.synthetic;

import io.tributary.tools.train.synthetic.SyntheticTask.Split;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every answer can be read off the pixels, and each question's answers are all used, about equally often. */
class SyntheticDecidabilityTest {

    private static final int SAMPLES = 1200;

    @ParameterizedTest
    @ValueSource(strings = {"shapes", "digits", "colours", "bars"})
    void aSolverThatSeesOnlyThePixelsGivesTheRenderersAnswer(String domain) {
        for (Split split : Split.values()) {
            for (int index = 0; index < SAMPLES / 3; index++) {
                RenderedSample sample = SyntheticTask.render(11, domain, split, index);
                assertThat(PixelSolver.answer(sample))
                        .as(sample.id() + ": " + sample.question())
                        .isEqualTo(sample.answer());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"shapes", "digits", "colours", "bars"})
    void eachQuestionsAnswersComeFromItsVocabularyAndCoverItRoughlyUniformly(String domain) {
        Map<String, Map<String, Integer>> counts = new HashMap<>();
        for (int index = 0; index < SAMPLES; index++) {
            RenderedSample sample = SyntheticTask.render(3, domain, Split.TRAIN, index);
            counts.computeIfAbsent(sample.question(), question -> new HashMap<>())
                    .merge(sample.answer(), 1, Integer::sum);
        }
        List<SyntheticQuestion> questions = SyntheticTask.questions(domain);
        assertThat(counts.keySet())
                .containsExactlyInAnyOrderElementsOf(
                        questions.stream().map(SyntheticQuestion::text).toList());
        for (SyntheticQuestion question : questions) {
            Map<String, Integer> answers = counts.get(question.text());
            assertThat(answers.keySet()).as(question.text()).containsExactlyInAnyOrderElementsOf(question.answers());
            double expected =
                    answers.values().stream().mapToInt(Integer::intValue).sum()
                            / (double) question.answers().size();
            assertThat(answers.values())
                    .as(question.text() + " " + answers)
                    .allSatisfy(count -> assertThat(count).isBetween((int) (0.7 * expected), (int) (1.3 * expected)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"shapes", "digits", "colours", "bars"})
    void onlyThisDomainsQuestionsAndAnswersAreUsedHere(String domain) {
        for (String other : SyntheticTask.domains()) {
            if (!other.equals(domain)) {
                for (SyntheticQuestion question : SyntheticTask.questions(other)) {
                    for (SyntheticQuestion mine : SyntheticTask.questions(domain)) {
                        assertThat(mine.text()).isNotEqualTo(question.text());
                        assertThat(mine.answers()).doesNotContainAnyElementsOf(question.answers());
                    }
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void theTenDigitsLightTenDifferentSegmentPatterns() {
        assertThat(new HashSet<>(List.of(DigitsDomain.SEGMENTS))).hasSize(10);
        assertThat(DigitsDomain.SEGMENTS)
                .allSatisfy(segments -> assertThat(segments).matches("a?b?c?d?e?f?g?"));
    }
}
