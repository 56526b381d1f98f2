package io.tributary.routing.decode;

import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import io.tributary.routing.mixing.LogMixture;
import io.tributary.routing.refusal.ImageRefusedException;
import io.tributary.routing.refusal.PromptTooLongException;
import io.tributary.routing.router.FixedRouter;
import io.tributary.routing.router.Router;
import io.tributary.routing.router.RoutingContext;
import io.tributary.routing.router.RoutingSession;
import io.tributary.routing.router.UniformRouter;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.routing.testing.FakeExpert;
import io.tributary.routing.testing.LetterDetokenizer;
import io.tributary.routing.testing.RecordingListener;
import io.tributary.routing.testing.ScriptedExpert;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class GenerationTest {

    private static final int VOCABULARY = 64;
    private static final int EOS = 63;
    private static final Prompt PROMPT = Prompt.ofTokens(5, 17, 2);

    @Test
    void oneHotWeightsReproduceTheSingleExpertTokenForToken() {
        for (SamplingParams sampling :
                List.of(SamplingParams.GREEDY, new SamplingParams(true, 0.9, 0, 0.95, 1.0, 2024L))) {
            FakeExpert idle = new FakeExpert("idle", VOCABULARY, 1);
            FakeExpert chosen = new FakeExpert("chosen", VOCABULARY, 2);
            RecordingListener mixed = run(mixture(new FixedRouter(new double[] {0, 1}), idle, chosen), sampling, 40);
            RecordingListener alone =
                    run(mixture(new UniformRouter(), new FakeExpert("alone", VOCABULARY, 2)), sampling, 40);

            assertThat(mixed.tokenIds()).containsExactly(alone.tokenIds());
            for (int i = 0; i < mixed.tokens.size(); i++) {
                assertThat(mixed.tokens.get(i).logProb())
                        .isEqualTo(alone.tokens.get(i).logProb());
            }
            assertThat(idle.sessionsOpened.get())
                    .as("an expert with weight 0 never runs")
                    .isZero();
        }
    }

    @Test
    void greedyDecodingTakesTheArgmaxOfTheProbabilityMixtureAndFeedsItToEveryExpert() {
        FakeExpert a = new FakeExpert("a", VOCABULARY, 10);
        FakeExpert b = new FakeExpert("b", VOCABULARY, 11);
        double[] weights = {0.3, 0.7};
        RecordingListener listener = run(mixture(new FixedRouter(weights), a, b), SamplingParams.GREEDY, 25);

        int[] context = PROMPT.tokenIds();
        for (var token : listener.tokens) {
            float[] expected =
                    LogMixture.mix(weights, new float[][] {a.logProbsAfter(context), b.logProbsAfter(context)});
            int argmax = 0;
            for (int x = 1; x < VOCABULARY; x++) {
                argmax = expected[x] > expected[argmax] ? x : argmax;
            }
            assertThat(token.id()).isEqualTo(argmax);
            assertThat(token.logProb()).isEqualTo(expected[argmax]);
            assertThat(token.expertWeights()).containsExactly(0.3, 0.7);
            context = append(context, token.id());
        }
    }

    @Test
    void stopsAfterMaxNewTokensAndMarksTheLastToken() {
        RecordingListener listener =
                run(mixture(new UniformRouter(), new FakeExpert("a", VOCABULARY, 3)), SamplingParams.GREEDY, 7);
        GenerationResult result = listener.result.join();

        assertThat(result.generatedTokens()).isEqualTo(7);
        assertThat(result.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(listener.tokens).hasSize(7);
        assertThat(listener.tokens.subList(0, 6)).noneMatch(GeneratedToken::last);
        assertThat(listener.tokens.get(6).finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(result.seed()).isNull();
    }

    @Test
    void stopsAtEndOfSequenceWhoseTextIsNotGenerated() {
        ScriptedExpert expert = new ScriptedExpert(VOCABULARY, 0, 1, 2, EOS, 4);
        RecordingListener listener = run(mixture(new UniformRouter(), expert), SamplingParams.GREEDY, 50);
        GenerationResult result = listener.result.join();

        assertThat(result.finishReason()).isEqualTo(FinishReason.EOS_TOKEN);
        assertThat(result.generatedText()).isEqualTo("abc");
        assertThat(listener.tokens.get(3).special()).isTrue();
        assertThat(listener.tokens.get(3).text()).as("reported, not generated").isEqualTo("<63>");
        assertThat(expert.openSessions).as("session freed").isZero();
    }

    @Test
    void stopsOnAStopSequenceSpanningTokens() {
        ScriptedExpert expert = new ScriptedExpert(VOCABULARY, 0, 1, 2, 3, 4);
        GenerationRequest request = new GenerationRequest(
                PROMPT, SamplingParams.GREEDY, new StoppingCriteria(50, List.of("zz", "bc"), false));
        RecordingListener listener = new RecordingListener();
        runToEnd(mixture(new UniformRouter(), expert).start(request, listener));

        assertThat(listener.result.join().generatedText()).isEqualTo("abc");
        assertThat(listener.result.join().finishReason()).isEqualTo(FinishReason.STOP_SEQUENCE);
    }

    @Test
    void minTokensHoldsEndOfSequenceAndStopSequencesBack() {
        // The script says end of sequence third: before min_tokens 4, the next most likely token comes instead.
        ScriptedExpert early = new ScriptedExpert(VOCABULARY, 0, 1, EOS, 3, 4, 5);
        RecordingListener held = run(early, new StoppingCriteria(6, List.of(), false, 4, Set.of()));
        assertThat(held.tokenIds()).hasSize(6).doesNotContain(EOS);
        assertThat(held.result.join().finishReason()).isEqualTo(FinishReason.LENGTH);

        // "b" second is too early to stop on; "b" fourth stops.
        ScriptedExpert twice = new ScriptedExpert(VOCABULARY, 0, 1, 2, 1, 4);
        RecordingListener stopped = run(twice, new StoppingCriteria(50, List.of("b"), false, 3, Set.of()));
        assertThat(stopped.result.join().generatedText()).isEqualTo("abcb");
        assertThat(stopped.result.join().finishReason()).isEqualTo(FinishReason.STOP_SEQUENCE);
    }

    @Test
    void aStopTokenEndsTheAnswerAsEndOfSequenceDoes() {
        RecordingListener stopped = run(
                new ScriptedExpert(VOCABULARY, 0, 1, 2, 3, 4),
                new StoppingCriteria(50, List.of(), false, 0, Set.of(2)));
        assertThat(stopped.tokenIds()).containsExactly(0, 1, 2);
        assertThat(stopped.result.join().finishReason()).isEqualTo(FinishReason.EOS_TOKEN);
    }

    @Test
    void ignoringEndOfSequenceGoesOnPastIt() {
        RecordingListener listener =
                run(new ScriptedExpert(VOCABULARY, 0, EOS, 2, 3), new StoppingCriteria(4, List.of(), true));
        assertThat(listener.tokenIds()).containsExactly(0, EOS, 2, 3);
        assertThat(listener.result.join().finishReason()).isEqualTo(FinishReason.LENGTH);
    }

    @Test
    void aConstraintRestrictsEachChoiceAndEndsTheAnswerWhenItIsComplete() {
        // The script would say 0 1 2 3 4; the constraint allows {0, 9}, then {7, 8}, then nothing more.
        List<Set<Integer>> allowed = List.of(Set.of(0, 9), Set.of(7, 8));
        RecordingListener listener = new RecordingListener();
        runToEnd(mixture(new UniformRouter(), new ScriptedExpert(VOCABULARY, 0, 1, 2, 3, 4))
                .start(
                        new GenerationRequest(PROMPT, SamplingParams.GREEDY, StoppingCriteria.maxNewTokens(10))
                                .withConstraint(new Steps(allowed)),
                        listener));

        assertThat(listener.tokenIds())
                .as("the script where it is allowed, else the likeliest allowed")
                .hasSize(2);
        assertThat(listener.tokenIds()[0]).isZero();
        assertThat(listener.tokenIds()[1]).isIn(7, 8);
        assertThat(listener.result.join().finishReason())
                .as("complete: it ends without spending a step on end of sequence")
                .isEqualTo(FinishReason.EOS_TOKEN);
    }

    /** Allows the given tokens at each step, then is complete. */
    private record Steps(List<Set<Integer>> allowed) implements io.tributary.routing.constraint.OutputConstraint {
        @Override
        public State start() {
            return new State() {
                private int step;

                @Override
                public float[] mask(float[] logProbs) {
                    float[] masked = new float[logProbs.length];
                    java.util.Arrays.fill(masked, Float.NEGATIVE_INFINITY);
                    allowed.get(step).forEach(token -> masked[token] = logProbs[token]);
                    return masked;
                }

                @Override
                public void advance(int token) {
                    assertThat(allowed.get(step)).contains(token);
                    step++;
                }

                @Override
                public boolean complete() {
                    return step == allowed.size();
                }
            };
        }
    }

    @Test
    void anExpertFirstSelectedMidwayCatchesUpOnTheGeneratedTokens() {
        FakeExpert early = new FakeExpert("early", VOCABULARY, 4);
        FakeExpert late = new FakeExpert("late", VOCABULARY, 5);
        Router switchesAfterThree = new Router() {
            @Override
            public String mode() {
                return "test";
            }

            @Override
            public RoutingSession start(RoutingContext context) {
                return new RoutingSession() {
                    private int step;

                    @Override
                    public double[] weights() {
                        return step < 3 ? new double[] {1, 0} : new double[] {0.5, 0.5};
                    }

                    @Override
                    public void observe(int tokenId, double[] expertLogProbs) {
                        assertThat(Double.isNaN(expertLogProbs[1])).isEqualTo(step < 3);
                        step++;
                    }
                };
            }
        };
        RecordingListener listener = run(mixture(switchesAfterThree, early, late), SamplingParams.GREEDY, 6);

        int[] generated = listener.tokenIds();
        assertThat(late.openedWith).hasSize(1);
        assertThat(late.openedWith.get(0)).containsExactly(5, 17, 2, generated[0], generated[1], generated[2]);
        assertThat(listener.tokens.get(3).expertWeights()).containsExactly(0.5, 0.5);
    }

    @Test
    void sampledGenerationsReportTheirSeed() {
        SamplingParams sampling = new SamplingParams(true, 1.0, 0, 1.0, 1.0, null);
        RecordingListener first = run(mixture(new UniformRouter(), new FakeExpert("a", VOCABULARY, 6)), sampling, 20);
        long seed = first.result.join().seed();
        RecordingListener replay = run(
                mixture(new UniformRouter(), new FakeExpert("a", VOCABULARY, 6)),
                new SamplingParams(true, 1.0, 0, 1.0, 1.0, seed),
                20);
        assertThat(replay.tokenIds()).containsExactly(first.tokenIds());
    }

    @Test
    void aFailingExpertEndsTheGenerationWithAnErrorAndFreesEverySession() {
        ScriptedExpert failing = new ScriptedExpert(VOCABULARY, 1).failingAtStep(2);
        FakeExpert healthy = new FakeExpert("healthy", VOCABULARY, 7);
        RecordingListener listener = run(mixture(new UniformRouter(), failing, healthy), SamplingParams.GREEDY, 10);

        assertThatThrownBy(listener.result::join).hasRootCauseMessage("scripted failure at step 2");
        assertThat(listener.tokens).hasSize(2);
        assertThat(failing.openSessions).isZero();
        assertThat(healthy.openSessions()).isZero();
    }

    @Test
    void anExpertsRefusalReachesTheListenerAsThrownAndDoesNotStopTheKvReservation() {
        PromptTooLongException tooLong = new PromptTooLongException("prompt of 3 tokens exceeds expert 'refusing'");
        Expert refusing = new Expert() {
            @Override
            public String name() {
                return "refusing";
            }

            @Override
            public int vocabularySize() {
                return VOCABULARY;
            }

            @Override
            public int promptPositions(Prompt prompt) {
                throw new ImageRefusedException("the image is not a PNG, JPEG, GIF or BMP file");
            }

            @Override
            public ExpertSession open(Prompt prompt) {
                throw tooLong;
            }

            @Override
            public void close() {}
        };
        RecordingListener listener = new RecordingListener();
        Generation generation =
                mixture(new UniformRouter(), refusing).start(request(SamplingParams.GREEDY, 4), listener);

        assertThat(generation.kvReservationBytes())
                .as("no KV cost declared, and counting did not fail")
                .isZero();
        runToEnd(generation);
        assertThatThrownBy(listener.result::join).cause().isSameAs(tooLong);
    }

    @Test
    void cancellingFreesSessionsAndTellsTheListener() {
        FakeExpert expert = new FakeExpert("a", VOCABULARY, 8);
        RecordingListener listener = new RecordingListener();
        Generation generation =
                mixture(new UniformRouter(), expert).start(request(SamplingParams.GREEDY, 100), listener);
        generation.step();
        generation.step();
        generation.cancel();

        assertThat(generation.step()).isTrue();
        assertThatThrownBy(listener.result::join).isInstanceOf(CancellationException.class);
        assertThat(expert.openSessions()).isZero();
        assertThat(listener.tokens).hasSize(2);
    }

    @Test
    void invalidRouterWeightsFailTheRequestClearly() {
        Router negative = new Router() {
            @Override
            public String mode() {
                return "broken";
            }

            @Override
            public RoutingSession start(RoutingContext context) {
                return () -> new double[] {1.2, -0.2};
            }
        };
        FakeExpert a = new FakeExpert("a", VOCABULARY, 1);
        RecordingListener listener =
                run(mixture(negative, a, new FakeExpert("b", VOCABULARY, 2)), SamplingParams.GREEDY, 5);
        assertThatThrownBy(listener.result::join).hasRootCauseMessage("weight 1 is negative: -0.2");
    }

    @Test
    void lmHeadRowsBeyondTheTokenizerAreNeverSampled() {
        FakeExpert padded = new FakeExpert("padded", VOCABULARY, 21);
        Mixture mixture = new Mixture(
                "padded", List.of(padded), new UniformRouter(), new LetterDetokenizer(20, Set.of()), Set.of());
        RecordingListener listener = new RecordingListener();
        Generation generation = mixture.start(request(new SamplingParams(true, 2.0, 0, 1.0, 1.0, 5L), 300), listener);
        while (!generation.step()) {
            // decode inline
        }
        assertThat(listener.tokenIds()).hasSize(300);
        assertThat(java.util.Arrays.stream(listener.tokenIds()).max().orElseThrow())
                .isLessThan(20);
        assertThatThrownBy(() -> new Mixture(
                        "too-small",
                        List.of(padded),
                        new UniformRouter(),
                        new LetterDetokenizer(65, Set.of()),
                        Set.of()))
                .hasMessage("the tokenizer knows 65 tokens but the experts' vocabulary has only 64");
    }

    @Test
    void expertsWithDifferentVocabulariesCannotBeMixed() {
        assertThatThrownBy(() ->
                        mixture(new UniformRouter(), new FakeExpert("small", 10, 1), new FakeExpert("large", 12, 2)))
                .hasMessageContaining("expert 'large' has a vocabulary of 12 tokens but 'small' has 10");
    }

    @Test
    void mixedLogProbsOfPublishedTokensAreNormalizedProbabilities() {
        FakeExpert a = new FakeExpert("a", VOCABULARY, 12);
        FakeExpert b = new FakeExpert("b", VOCABULARY, 13);
        RecordingListener listener = run(mixture(new UniformRouter(), a, b), SamplingParams.GREEDY, 5);
        for (GeneratedToken token : listener.tokens) {
            assertThat(token.logProb()).isLessThanOrEqualTo(0f);
            assertThat(token.expertWeights()[0] + token.expertWeights()[1]).isCloseTo(1.0, within(1e-12));
        }
    }

    @Test
    void reportsTheAskedNumberOfTopTokensOfTheMixtureWithTheChosenOneFirstWhenGreedy() {
        FakeExpert a = new FakeExpert("a", VOCABULARY, 14);
        FakeExpert b = new FakeExpert("b", VOCABULARY, 15);
        double[] weights = {0.4, 0.6};
        RecordingListener listener = new RecordingListener();
        runToEnd(mixture(new FixedRouter(weights), a, b)
                .start(
                        new GenerationRequest(
                                PROMPT, SamplingParams.GREEDY, StoppingCriteria.maxNewTokens(6), null, 3, false),
                        listener));

        int[] context = PROMPT.tokenIds();
        for (GeneratedToken token : listener.tokens) {
            float[] mixed = LogMixture.mix(weights, new float[][] {a.logProbsAfter(context), b.logProbsAfter(context)});
            assertThat(token.topTokens()).hasSize(3);
            assertThat(token.topTokens().get(0).id()).isEqualTo(token.id());
            assertThat(token.topTokens().get(0).logProb()).isEqualTo(token.logProb());
            for (TopToken alternative : token.topTokens()) {
                assertThat(alternative.logProb()).isEqualTo(mixed[alternative.id()]);
                assertThat(alternative.text()).isEqualTo(LetterDetokenizer.letter(alternative.id()));
            }
            assertThat(token.topTokens().get(1).logProb())
                    .isLessThanOrEqualTo(token.topTokens().get(0).logProb());
            assertThat(token.topTokens().get(2).logProb())
                    .isLessThanOrEqualTo(token.topTokens().get(1).logProb());
            context = append(context, token.id());
        }
        assertThat(run(mixture(new FixedRouter(weights), a, b), SamplingParams.GREEDY, 2).tokens)
                .allSatisfy(token ->
                        assertThat(token.topTokens()).as("none unless asked").isEmpty());
    }

    @Test
    void promptLogProbsAreThoseOfTheMixtureThatChoosesTheFirstToken() {
        FakeExpert a = new FakeExpert("a", VOCABULARY, 16);
        FakeExpert b = new FakeExpert("b", VOCABULARY, 17);
        double[] weights = {0.3, 0.7};
        RecordingListener listener = new RecordingListener();
        runToEnd(mixture(new FixedRouter(weights), a, b)
                .start(
                        new GenerationRequest(
                                PROMPT, SamplingParams.GREEDY, StoppingCriteria.maxNewTokens(3), null, 0, true),
                        listener));

        float[] prompt = listener.result.join().promptLogProbs();
        int[] ids = PROMPT.tokenIds();
        assertThat(prompt).hasSize(ids.length);
        assertThat(prompt[0]).isNaN();
        for (int t = 1; t < ids.length; t++) {
            int[] prefix = java.util.Arrays.copyOf(ids, t);
            double expected = Math.log(
                    0.3 * Math.exp(a.logProbsAfter(prefix)[ids[t]]) + 0.7 * Math.exp(b.logProbsAfter(prefix)[ids[t]]));
            assertThat((double) prompt[t]).isCloseTo(expected, within(1e-5));
        }
        assertThat(run(mixture(new FixedRouter(weights), a, b), SamplingParams.GREEDY, 2)
                        .result
                        .join()
                        .promptLogProbs())
                .as("none unless asked")
                .isNull();
    }

    static Mixture mixture(Router router, Expert... experts) {
        return new Mixture(
                "test", List.of(experts), router, new LetterDetokenizer(VOCABULARY, Set.of(EOS)), Set.of(EOS));
    }

    static GenerationRequest request(SamplingParams sampling, int maxNewTokens) {
        return new GenerationRequest(PROMPT, sampling, StoppingCriteria.maxNewTokens(maxNewTokens));
    }

    /** A greedy answer of one scripted expert under {@code stopping}. */
    private static RecordingListener run(ScriptedExpert expert, StoppingCriteria stopping) {
        RecordingListener listener = new RecordingListener();
        runToEnd(mixture(new UniformRouter(), expert)
                .start(new GenerationRequest(PROMPT, SamplingParams.GREEDY, stopping), listener));
        return listener;
    }

    private static RecordingListener run(Mixture mixture, SamplingParams sampling, int maxNewTokens) {
        RecordingListener listener = new RecordingListener();
        runToEnd(mixture.start(request(sampling, maxNewTokens), listener));
        return listener;
    }

    private static void runToEnd(Generation generation) {
        int steps = 0;
        while (!generation.step()) {
            assertThat(++steps).isLessThan(10_000);
        }
    }

    private static int[] append(int[] context, int token) {
        int[] longer = java.util.Arrays.copyOf(context, context.length + 1);
        longer[context.length] = token;
        return longer;
    }
}
