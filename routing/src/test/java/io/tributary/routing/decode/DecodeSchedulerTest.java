package io.tributary.routing.decode;

import io.tributary.routing.Prompt;
import io.tributary.routing.router.UniformRouter;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.routing.testing.FakeExpert;
import io.tributary.routing.testing.LetterDetokenizer;
import io.tributary.routing.testing.RecordingListener;
import io.tributary.routing.testing.ScriptedExpert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DecodeSchedulerTest {

    private DecodeScheduler scheduler;

    @AfterEach
    void shutDown() {
        if (scheduler != null) {
            scheduler.close();
        }
    }

    @Test
    void concurrentGenerationsGiveTheSameTokensAsAloneAndFreeEverything() throws Exception {
        scheduler = new DecodeScheduler(2, 8, 64, Executors.defaultThreadFactory());
        FakeExpert a = new FakeExpert("a", 50, 1);
        FakeExpert b = new FakeExpert("b", 50, 2);
        Mixture mixture = new Mixture("m", List.of(a, b), new UniformRouter(),
                new LetterDetokenizer(50, Set.of()), Set.of());
        List<RecordingListener> listeners = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            RecordingListener listener = new RecordingListener();
            listeners.add(listener);
            scheduler.submit(mixture.start(request(Prompt.ofTokens(i % 5, 1), 15), listener));
        }
        for (int i = 0; i < listeners.size(); i++) {
            RecordingListener alone = new RecordingListener();
            Generation reference = mixture.start(request(Prompt.ofTokens(i % 5, 1), 15), alone);
            while (!reference.step()) {
                // run it inline
            }
            GenerationResult result = listeners.get(i).result.get(30, TimeUnit.SECONDS);
            assertThat(result.generatedTokens()).isEqualTo(15);
            assertThat(listeners.get(i).tokenIds()).containsExactly(alone.tokenIds());
        }
        assertThat(a.openSessions()).isZero();
        assertThat(b.openSessions()).isZero();
        assertThat(scheduler.running()).isZero();
    }

    @Test
    void runningGenerationsAdvanceInTurnsOneTokenEach() throws Exception {
        scheduler = new DecodeScheduler(1, 4, 0, Executors.defaultThreadFactory());
        CountDownLatch gate = new CountDownLatch(1);
        Mixture mixture = new Mixture("m", List.of(new ScriptedExpert(8, 1).blockedBy(gate)),
                new UniformRouter(), new LetterDetokenizer(8, Set.of()), Set.of());
        List<Integer> order = new CopyOnWriteArrayList<>();
        List<RecordingListener> listeners = new ArrayList<>();
        for (int g = 0; g < 3; g++) {
            int id = g;
            RecordingListener listener = new RecordingListener() {
                @Override
                public void onToken(GeneratedToken token) {
                    super.onToken(token);
                    order.add(id);
                }
            };
            listeners.add(listener);
            scheduler.submit(mixture.start(request(Prompt.ofTokens(1), 4), listener));
        }
        gate.countDown();
        for (RecordingListener listener : listeners) {
            listener.result.get(30, TimeUnit.SECONDS);
        }
        assertThat(order).containsExactly(0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2);
    }

    @Test
    void refusesAtOnceWhenRunningSlotsAndQueueAreFull() throws Exception {
        scheduler = new DecodeScheduler(1, 1, 1, Executors.defaultThreadFactory());
        CountDownLatch gate = new CountDownLatch(1);
        Mixture mixture = new Mixture("m", List.of(new ScriptedExpert(8, 1).blockedBy(gate)),
                new UniformRouter(), new LetterDetokenizer(8, Set.of()), Set.of());
        RecordingListener running = new RecordingListener();
        RecordingListener queued = new RecordingListener();
        scheduler.submit(mixture.start(request(Prompt.ofTokens(1), 3), running));
        scheduler.submit(mixture.start(request(Prompt.ofTokens(1), 3), queued));

        assertThat(scheduler.running()).isEqualTo(1);
        assertThat(scheduler.waiting()).isEqualTo(1);
        assertThatThrownBy(() -> scheduler.submit(mixture.start(request(Prompt.ofTokens(1), 3),
                new RecordingListener())))
                .isInstanceOf(OverloadedException.class)
                .hasMessageContaining("1 requests running and 1 waiting");

        gate.countDown();
        assertThat(running.result.get(30, TimeUnit.SECONDS).generatedTokens()).isEqualTo(3);
        assertThat(queued.result.get(30, TimeUnit.SECONDS).generatedTokens()).isEqualTo(3);
    }

    @Test
    void closingCancelsWhatIsStillQueuedAndFreesItsSessions() throws Exception {
        scheduler = new DecodeScheduler(1, 1, 4, Executors.defaultThreadFactory());
        CountDownLatch gate = new CountDownLatch(1);
        ScriptedExpert expert = new ScriptedExpert(8, 1).blockedBy(gate);
        Mixture mixture = new Mixture("m", List.of(expert), new UniformRouter(),
                new LetterDetokenizer(8, Set.of()), Set.of());
        RecordingListener first = new RecordingListener();
        RecordingListener second = new RecordingListener();
        scheduler.submit(mixture.start(request(Prompt.ofTokens(1), 1_000), first));
        scheduler.submit(mixture.start(request(Prompt.ofTokens(1), 1_000), second));

        Thread opener = new Thread(() -> {
            sleep(200);
            gate.countDown();
        });
        opener.start();
        scheduler.close();
        opener.join();

        assertThatThrownBy(() -> second.result.get(30, TimeUnit.SECONDS))
                .isInstanceOf(CancellationException.class);
        assertThatThrownBy(() -> first.result.get(30, TimeUnit.SECONDS))
                .isInstanceOf(CancellationException.class);
        assertThat(expert.openSessions).isZero();
        assertThatThrownBy(() -> scheduler.submit(mixture.start(request(Prompt.ofTokens(1), 1), second)))
                .isInstanceOf(IllegalStateException.class);
    }

    private static GenerationRequest request(Prompt prompt, int maxNewTokens) {
        return new GenerationRequest(prompt, SamplingParams.GREEDY, StoppingCriteria.maxNewTokens(maxNewTokens));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
