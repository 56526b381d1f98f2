package io.tributary.routing.decode;

import io.tributary.routing.Prompt;
import io.tributary.routing.refusal.KvBudgetExceededException;
import io.tributary.routing.router.FixedRouter;
import io.tributary.routing.router.UniformRouter;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.routing.testing.FakeExpert;
import io.tributary.routing.testing.LetterDetokenizer;
import io.tributary.routing.testing.RecordingListener;
import io.tributary.routing.testing.ScriptedExpert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

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
        FakeExpert a = new FakeExpert("a", 50, 1);
        FakeExpert b = new FakeExpert("b", 50, 2);
        Mixture mixture =
                new Mixture("m", List.of(a, b), new UniformRouter(), new LetterDetokenizer(50, Set.of()), Set.of());
        // Two experts' passes at once: the step's result must not depend on it.
        scheduler = new DecodeScheduler(mixture, limits(8, 64), 2, Executors.defaultThreadFactory());
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
    void everyRunningGenerationGetsOneTokenPerStepInArrivalOrder() throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        Mixture mixture = new Mixture(
                "m",
                List.of(new ScriptedExpert(8, 1)),
                new UniformRouter(),
                new LetterDetokenizer(8, Set.of()),
                Set.of());
        scheduler = new DecodeScheduler(mixture, limits(4, 0), startingAfter(start));
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
        start.countDown();
        for (RecordingListener listener : listeners) {
            listener.result.get(30, TimeUnit.SECONDS);
        }
        assertThat(order).containsExactly(0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2);
    }

    @Test
    void eachStepRunsOneBatchedPassPerExpertOverEveryRunningGeneration() throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        FakeExpert a = new FakeExpert("a", 50, 1);
        FakeExpert b = new FakeExpert("b", 50, 2);
        Mixture mixture =
                new Mixture("m", List.of(a, b), new UniformRouter(), new LetterDetokenizer(50, Set.of()), Set.of());
        scheduler = new DecodeScheduler(mixture, limits(8, 0), startingAfter(start));
        List<Long> queued = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> observedPasses = new java.util.concurrent.CopyOnWriteArrayList<>();
        scheduler.observe(new SchedulerObserver() {
            @Override
            public void admitted(Generation generation, long queuedNanos) {
                queued.add(queuedNanos);
            }

            @Override
            public void expertPass(io.tributary.routing.Expert expert, int sessions, int positions, long nanos) {
                observedPasses.add(expert.name() + ":" + sessions + ":" + positions);
            }
        });
        List<RecordingListener> listeners = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            listeners.add(new RecordingListener());
            scheduler.submit(mixture.start(request(Prompt.ofTokens(i, 1), 6), listeners.get(i)));
        }
        start.countDown();
        for (RecordingListener listener : listeners) {
            assertThat(listener.result.get(30, TimeUnit.SECONDS).generatedTokens())
                    .isEqualTo(6);
        }
        // Five prompts of two positions in one pass, then five tokens a pass; the sixth token is never run.
        List<List<Integer>> batched = List.copyOf(a.passes);
        assertThat(batched).hasSize(6);
        assertThat(batched.get(0)).containsExactly(2, 2, 2, 2, 2);
        assertThat(batched.subList(1, 6)).allSatisfy(pass -> assertThat(pass).containsExactly(1, 1, 1, 1, 1));
        for (int i = 0; i < 5; i++) {
            RecordingListener alone = new RecordingListener();
            Generation reference = mixture.start(request(Prompt.ofTokens(i, 1), 6), alone);
            while (!reference.step()) {
                // run it inline
            }
            assertThat(listeners.get(i).tokenIds()).containsExactly(alone.tokenIds());
        }
        assertThat(b.passes.subList(0, 6)).isEqualTo(batched);
        waitUntil(() -> scheduler.running() == 0);
        assertThat(scheduler.statistics().passes()).isEqualTo(12);
        assertThat(queued).hasSize(5).allSatisfy(nanos -> assertThat(nanos).isNotNegative());
        assertThat(observedPasses).hasSize(12).contains("a:5:10", "b:5:10", "a:5:5");
    }

    @Test
    void longPromptIsPrefilledInChunksWhileTheRunningStreamKeepsDecoding() throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        FakeExpert expert = new FakeExpert("a", 50, 1);
        Mixture mixture =
                new Mixture("m", List.of(expert), new UniformRouter(), new LetterDetokenizer(50, Set.of()), Set.of());
        scheduler =
                new DecodeScheduler(mixture, new DecodeScheduler.Limits(4, 0, 4, Long.MAX_VALUE), startingAfter(start));
        RecordingListener running = new RecordingListener();
        RecordingListener arriving = new RecordingListener();
        int[] longPrompt = new int[21];
        Arrays.fill(longPrompt, 7);
        scheduler.submit(mixture.start(request(Prompt.ofTokens(3, 4), 20), running));
        scheduler.submit(mixture.start(request(Prompt.ofTokens(longPrompt), 2), arriving));
        start.countDown();
        running.result.get(30, TimeUnit.SECONDS);
        arriving.result.get(30, TimeUnit.SECONDS);

        // Budget 4 a step: the running stream's token first, the long prompt's chunk takes the rest.
        assertThat(expert.passes.subList(0, 8))
                .containsExactly(
                        List.of(2, 2),
                        List.of(1, 3),
                        List.of(1, 3),
                        List.of(1, 3),
                        List.of(1, 3),
                        List.of(1, 3),
                        List.of(1, 3),
                        List.of(1, 1));
        assertThat(expert.passes)
                .allSatisfy(
                        pass -> assertThat(pass.stream().mapToInt(n -> n).sum()).isLessThanOrEqualTo(4));
        // Each listener hears of its prompt's chunks, all of them before its first token.
        assertThat(arriving.started).isTrue();
        assertThat(arriving.promptChunkPositions()).containsExactly(2, 3, 3, 3, 3, 3, 3, 1);
        assertThat(running.promptChunkPositions()).containsExactly(2);
        assertThat(arriving.promptChunks)
                .allSatisfy(chunk -> assertThat(chunk[1]).isZero());
        RecordingListener alone = new RecordingListener();
        Generation reference = mixture.start(request(Prompt.ofTokens(longPrompt), 2), alone);
        while (!reference.step()) {
            // run it inline
        }
        assertThat(arriving.tokenIds()).containsExactly(alone.tokenIds());
    }

    @Test
    void admitsByWhatTheCacheHoldsAndPreemptsTheYoungestWhenTheRunningOutgrowTheBudget() throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        FakeExpert expert = new FakeExpert("a", 50, 1).withKvBytesPerPosition(10);
        Mixture mixture =
                new Mixture("m", List.of(expert), new UniformRouter(), new LetterDetokenizer(50, Set.of()), Set.of());
        // Requests of 2 prompt positions and 8 new tokens need 30 bytes to start and 100 at most: three start in a
        // budget of 200, and after 4 tokens each they need 3 * 70, so the youngest must yield.
        scheduler = new DecodeScheduler(mixture, new DecodeScheduler.Limits(8, 4, 256, 200), startingAfter(start));
        List<Generation> preempted = new CopyOnWriteArrayList<>();
        scheduler.observe(new SchedulerObserver() {
            @Override
            public void preempted(Generation generation) {
                preempted.add(generation);
            }
        });
        List<RecordingListener> listeners = new ArrayList<>();
        List<Generation> generations = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            listeners.add(new RecordingListener());
            generations.add(mixture.start(request(Prompt.ofTokens(i, 1), 8), listeners.get(i)));
            scheduler.submit(generations.get(i));
        }
        assertThat(scheduler.running()).isEqualTo(3);
        assertThat(scheduler.kvUsedBytes()).isEqualTo(3 * 30);
        assertThatThrownBy(() ->
                        scheduler.submit(mixture.start(request(Prompt.ofTokens(1, 1), 30), new RecordingListener())))
                .isInstanceOf(KvBudgetExceededException.class)
                .hasMessageContaining("KV budget is 200 bytes");

        start.countDown();
        for (int i = 0; i < 3; i++) {
            RecordingListener alone = new RecordingListener();
            Generation reference = mixture.start(request(Prompt.ofTokens(i, 1), 8), alone);
            while (!reference.step()) {
                // run it inline
            }
            assertThat(listeners.get(i).result.get(30, TimeUnit.SECONDS).generatedTokens())
                    .isEqualTo(8);
            assertThat(listeners.get(i).tokenIds()).as("request %d", i).containsExactly(alone.tokenIds());
        }
        assertThat(preempted).containsExactly(generations.get(2));
        assertThat(generations.get(2).preemptions()).isEqualTo(1);
        int[] sofar = listeners.get(2).tokenIds();
        List<int[]> resumed;
        synchronized (expert.openedWith) {
            resumed = expert.openedWith.stream()
                    .filter(opened -> opened.length > 2)
                    .toList();
        }
        assertThat(resumed)
                .as("one session reopened, on the prompt and the 4 tokens it had")
                .containsExactly(new int[] {2, 1, sofar[0], sofar[1], sofar[2], sofar[3]});
        waitUntil(() -> scheduler.running() == 0);
        assertThat(scheduler.kvUsedBytes()).isZero();
        assertThat(expert.openSessions()).isZero();
    }

    @Test
    void aRequestCancelledWhileQueuedLeavesTheQueueAndIsToldSo() throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        FakeExpert expert = new FakeExpert("a", 50, 1).withKvBytesPerPosition(10);
        Mixture mixture =
                new Mixture("m", List.of(expert), new UniformRouter(), new LetterDetokenizer(50, Set.of()), Set.of());
        scheduler = new DecodeScheduler(mixture, limits(1, 4), startingAfter(start));
        RecordingListener running = new RecordingListener();
        RecordingListener abandoned = new RecordingListener();
        RecordingListener next = new RecordingListener();
        scheduler.submit(mixture.start(request(Prompt.ofTokens(1, 2), 8), running));
        Generation queued = mixture.start(request(Prompt.ofTokens(1, 2), 8), abandoned);
        scheduler.submit(queued);
        scheduler.submit(mixture.start(request(Prompt.ofTokens(3, 4), 8), next));
        assertThat(scheduler.waiting()).isEqualTo(2);

        queued.cancel();
        start.countDown();
        assertThatThrownBy(() -> abandoned.result.get(30, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
        assertThat(running.result.get(30, TimeUnit.SECONDS).generatedTokens()).isEqualTo(8);
        assertThat(next.result.get(30, TimeUnit.SECONDS).generatedTokens()).isEqualTo(8);
        assertThat(abandoned.tokens).isEmpty();
        assertThat(expert.sessionsOpened.get())
                .as("the cancelled request never ran")
                .isEqualTo(2);
    }

    @Test
    void aFailedPassFailsOnlyTheGenerationsInIt() throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        FakeExpert healthy = new FakeExpert("healthy", 50, 1);
        FakeExpert broken = new FakeExpert("broken", 50, 2).failingForward();
        Mixture mixture = new Mixture(
                "m", List.of(healthy, broken), new UniformRouter(), new LetterDetokenizer(50, Set.of()), Set.of());
        scheduler = new DecodeScheduler(mixture, limits(4, 0), 2, startingAfter(start));
        RecordingListener onHealthy = new RecordingListener();
        RecordingListener onBroken = new RecordingListener();
        scheduler.submit(mixture.start(
                new GenerationRequest(
                        Prompt.ofTokens(1, 2),
                        SamplingParams.GREEDY,
                        StoppingCriteria.maxNewTokens(5),
                        new FixedRouter(new double[] {1, 0})),
                onHealthy));
        scheduler.submit(mixture.start(
                new GenerationRequest(
                        Prompt.ofTokens(1, 2),
                        SamplingParams.GREEDY,
                        StoppingCriteria.maxNewTokens(5),
                        new FixedRouter(new double[] {0, 1})),
                onBroken));
        start.countDown();

        assertThat(onHealthy.result.get(30, TimeUnit.SECONDS).generatedTokens()).isEqualTo(5);
        assertThatThrownBy(() -> onBroken.result.get(30, TimeUnit.SECONDS)).hasRootCauseMessage("broken forward pass");
        waitUntil(() -> healthy.openSessions() == 0 && broken.openSessions() == 0);
    }

    @Test
    void refusesAtOnceWhenRunningSlotsAndQueueAreFull() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        Mixture mixture = new Mixture(
                "m",
                List.of(new ScriptedExpert(8, 1).blockedBy(gate)),
                new UniformRouter(),
                new LetterDetokenizer(8, Set.of()),
                Set.of());
        scheduler = new DecodeScheduler(mixture, limits(1, 1), Executors.defaultThreadFactory());
        RecordingListener running = new RecordingListener();
        RecordingListener queued = new RecordingListener();
        scheduler.submit(mixture.start(request(Prompt.ofTokens(1), 3), running));
        scheduler.submit(mixture.start(request(Prompt.ofTokens(1), 3), queued));

        assertThat(scheduler.running()).isEqualTo(1);
        assertThat(scheduler.waiting()).isEqualTo(1);
        assertThatThrownBy(
                        () -> scheduler.submit(mixture.start(request(Prompt.ofTokens(1), 3), new RecordingListener())))
                .isInstanceOf(OverloadedException.class)
                .hasMessageContaining("1 requests running, 1 waiting");

        gate.countDown();
        assertThat(running.result.get(30, TimeUnit.SECONDS).generatedTokens()).isEqualTo(3);
        assertThat(queued.result.get(30, TimeUnit.SECONDS).generatedTokens()).isEqualTo(3);
    }

    @Test
    void closingCancelsWhatIsStillQueuedAndFreesItsSessions() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        ScriptedExpert expert = new ScriptedExpert(8, 1).blockedBy(gate);
        Mixture mixture =
                new Mixture("m", List.of(expert), new UniformRouter(), new LetterDetokenizer(8, Set.of()), Set.of());
        scheduler = new DecodeScheduler(mixture, limits(1, 4), Executors.defaultThreadFactory());
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

        assertThatThrownBy(() -> second.result.get(30, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
        assertThatThrownBy(() -> first.result.get(30, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
        assertThat(expert.openSessions).isZero();
        assertThatThrownBy(() -> scheduler.submit(mixture.start(request(Prompt.ofTokens(1), 1), second)))
                .isInstanceOf(IllegalStateException.class);
    }

    /** Decoding threads that start only once {@code start} opens, so a test can queue several requests first. */
    private static ThreadFactory startingAfter(CountDownLatch start) {
        return work -> new Thread(() -> {
            try {
                start.await();
            } catch (InterruptedException e) {
                return;
            }
            work.run();
        });
    }

    private static void waitUntil(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition never held").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    private static DecodeScheduler.Limits limits(int maxRunning, int maxWaiting) {
        return new DecodeScheduler.Limits(maxRunning, maxWaiting, 256, Long.MAX_VALUE);
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
