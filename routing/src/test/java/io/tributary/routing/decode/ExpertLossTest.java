package io.tributary.routing.decode;

import io.tributary.routing.Expert;
import io.tributary.routing.ExpertBatch;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.ExpertUnavailableException;
import io.tributary.routing.Prompt;
import io.tributary.routing.router.FixedRouter;
import io.tributary.routing.router.PosteriorRouter;
import io.tributary.routing.router.Router;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.routing.testing.FakeExpert;
import io.tributary.routing.testing.LetterDetokenizer;
import io.tributary.routing.testing.RecordingListener;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An expert that becomes unavailable mid-generation is dropped; the answer finishes with the others. */
class ExpertLossTest {

    private static final int VOCABULARY = 64;
    private static final Prompt PROMPT = Prompt.ofTokens(5, 17, 2);

    @Test
    void aLostExpertIsDroppedAndTheOthersFinishTheAnswerAlone() {
        for (Router router : List.of(
                new FixedRouter(new double[] {0.4, 0.6}),
                new PosteriorRouter(context -> Optional.empty(), new double[] {0.5, 0.5}))) {
            FakeExpert survivor = new FakeExpert("b", VOCABULARY, 2);
            LosableExpert flaky = new LosableExpert(new FakeExpert("a", VOCABULARY, 1), 5);
            LossListener listener = new LossListener();
            decode(mixture(router, flaky, survivor), listener, 20);

            assertThat(listener.result.join().generatedTokens()).isEqualTo(20);
            assertThat(listener.lost).containsOnlyKeys("a");
            assertThat(listener.lost.get("a")).hasMessageContaining("a is gone");
            int[] context = PROMPT.tokenIds();
            int lossAt = listener.tokensBeforeLoss;
            assertThat(lossAt).isBetween(1, 19);
            assertThat(listener.result.join().lostExperts()).containsExactly(new LostExpert("a", lossAt, "a is gone"));
            for (int i = 0; i < 20; i++) {
                GeneratedToken token = listener.tokens.get(i);
                if (i >= lossAt) {
                    // Renormalised: the survivor holds all the weight and the token is its own greedy choice.
                    assertThat(token.expertWeights()).containsExactly(0.0, 1.0);
                    float[] alone = survivor.logProbsAfter(context);
                    assertThat(token.id()).isEqualTo(argmax(alone));
                    assertThat(token.logProb()).isEqualTo(alone[token.id()]);
                } else {
                    assertThat(token.expertWeights()[0]).isPositive();
                }
                context = append(context, token.id());
            }
            assertThat(flaky.delegate.openSessions())
                    .as("the lost expert's session is closed")
                    .isZero();
        }
    }

    @Test
    void losingEveryExpertFailsTheRequestClearly() {
        LosableExpert a = new LosableExpert(new FakeExpert("a", VOCABULARY, 1), 3);
        LosableExpert b = new LosableExpert(new FakeExpert("b", VOCABULARY, 2), 3);
        LossListener listener = new LossListener();
        decode(mixture(new FixedRouter(new double[] {0.5, 0.5}), a, b), listener, 20);

        assertThatThrownBy(listener.result::join)
                .isInstanceOf(CompletionException.class)
                .cause()
                .isInstanceOf(AllExpertsLostException.class)
                .hasMessageContaining("every expert of the mixture is unavailable: 'a' (a is gone)")
                .hasMessageContaining("'b' (b is gone)");
        assertThat(listener.lost).containsOnlyKeys("a", "b");
    }

    @Test
    void anExpertThatFailsOtherwiseStillFailsTheRequest() {
        FakeExpert broken = new FakeExpert("a", VOCABULARY, 1).failingForward();
        LossListener listener = new LossListener();
        decode(
                mixture(new FixedRouter(new double[] {0.5, 0.5}), broken, new FakeExpert("b", VOCABULARY, 2)),
                listener,
                5);

        assertThatThrownBy(listener.result::join).hasRootCauseMessage("broken forward pass");
        assertThat(listener.lost).isEmpty();
    }

    @Test
    void anExpertUnreachableWhenItsSessionOpensIsDroppedToo() {
        LosableExpert unreachable = new LosableExpert(new FakeExpert("a", VOCABULARY, 1), 0);
        LossListener listener = new LossListener();
        Generation generation = mixture(
                        new FixedRouter(new double[] {0.5, 0.5}), unreachable, new FakeExpert("b", VOCABULARY, 2))
                .start(request(6), listener);
        while (!generation.step()) {
            // one generation alone, no scheduler
        }
        assertThat(listener.result.join().generatedTokens()).isEqualTo(6);
        assertThat(listener.lost).containsOnlyKeys("a");
        assertThat(listener.tokensBeforeLoss).isZero();
    }

    private static void decode(Mixture mixture, RecordingListener listener, int maxNewTokens) {
        try (DecodeScheduler scheduler =
                new DecodeScheduler(mixture, new DecodeScheduler.Limits(4, 4, 64, 1L << 40), 2, Thread::new)) {
            scheduler.submit(mixture.start(request(maxNewTokens), listener));
            listener.result.exceptionally(error -> null).join();
        }
    }

    private static GenerationRequest request(int maxNewTokens) {
        return new GenerationRequest(
                PROMPT, SamplingParams.GREEDY, new StoppingCriteria(maxNewTokens, List.of(), true));
    }

    private static Mixture mixture(Router router, Expert... experts) {
        return new Mixture("m", List.of(experts), router, new LetterDetokenizer(VOCABULARY, Set.of()), Set.of());
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            best = values[i] > values[best] ? i : best;
        }
        return best;
    }

    private static int[] append(int[] context, int token) {
        int[] longer = Arrays.copyOf(context, context.length + 1);
        longer[context.length] = token;
        return longer;
    }

    /** Hears losses, and how many tokens came before the first. */
    private static final class LossListener extends RecordingListener {
        final Map<String, Throwable> lost = new ConcurrentHashMap<>();
        volatile int tokensBeforeLoss = -1;

        @Override
        public void onExpertLost(String expert, Throwable failure) {
            if (lost.isEmpty()) {
                tokensBeforeLoss = tokens.size();
            }
            lost.put(expert, failure);
        }
    }

    /** An expert that becomes unreachable after a number of batched passes, as a remote one whose pod stops. */
    private static final class LosableExpert implements Expert {
        final FakeExpert delegate;
        private int passesLeft;

        LosableExpert(FakeExpert delegate, int passes) {
            this.delegate = delegate;
            this.passesLeft = passes;
        }

        private void check() {
            if (passesLeft <= 0) {
                throw new ExpertUnavailableException(name(), name() + " is gone", null);
            }
        }

        @Override
        public String name() {
            return delegate.name();
        }

        @Override
        public int vocabularySize() {
            return delegate.vocabularySize();
        }

        @Override
        public ExpertSession open(Prompt prompt) {
            check();
            return delegate.open(prompt);
        }

        @Override
        public synchronized void forward(ExpertBatch batch) {
            check();
            passesLeft--;
            delegate.forward(batch);
        }

        @Override
        public void close() {}
    }
}
