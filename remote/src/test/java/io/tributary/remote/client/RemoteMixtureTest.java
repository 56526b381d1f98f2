package io.tributary.remote.client;

import io.tributary.remote.host.ExpertHostServer;
import io.tributary.remote.host.HostedExpert;
import io.tributary.routing.Expert;
import io.tributary.routing.Prompt;
import io.tributary.routing.decode.DecodeScheduler;
import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.decode.GenerationResult;
import io.tributary.routing.decode.Mixture;
import io.tributary.routing.decode.StoppingCriteria;
import io.tributary.routing.refusal.PromptTooLongException;
import io.tributary.routing.refusal.RequestRefusedException;
import io.tributary.routing.router.FixedRouter;
import io.tributary.routing.router.PosteriorRouter;
import io.tributary.routing.router.Router;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.routing.testing.FakeExpert;
import io.tributary.routing.testing.LetterDetokenizer;
import io.tributary.routing.testing.RecordingListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Experts served over gRPC on localhost decode exactly as the same experts in process. */
class RemoteMixtureTest {

    private static final int VOCABULARY = 97;
    private static final int EOS = 96;
    private final List<AutoCloseable> closing = new java.util.concurrent.CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    @Test
    void remoteExpertsGiveTheSameTokensAndLogProbsAsLocalOnesInBatchedSteps() {
        Router router = new FixedRouter(new double[] {0.35, 0.65});
        List<RecordingListener> local = decode(mixture(router, local(1), local(2)), 5);
        List<RecordingListener> remote = decode(mixture(router, remote(local(1)), remote(local(2))), 5);

        assertSameAnswers(remote, local);
    }

    @Test
    void promptScoringRoutersAndPromptLogProbsWorkThroughTheWire() {
        Router router = new PosteriorRouter(context -> Optional.empty(), new double[] {0.5, 0.5});
        List<RecordingListener> local = decode(mixture(router, local(3), local(4)), 3);
        List<RecordingListener> remote = decode(mixture(router, remote(local(3)), remote(local(4))), 3);

        assertSameAnswers(remote, local);
        for (int i = 0; i < local.size(); i++) {
            assertThat(remote.get(i).result.join().promptLogProbs())
                    .hasSize(7)
                    .containsExactly(local.get(i).result.join().promptLogProbs());
        }
    }

    @Test
    void inCompactModeTheMixedDistributionStaysWithinEpsilonOfTheExactOneInTotalVariation() {
        double epsilon = 1e-2;
        RemoteOptions compact = new RemoteOptions(Duration.ofSeconds(30), epsilon);
        List<FakeExpert> locals = List.of(local(8), local(9));
        List<RemoteExpert> remotes = List.of(
                connect("expert-8", host(Duration.ofMinutes(1), local(8)), compact),
                connect("expert-9", host(Duration.ofMinutes(1), local(9)), compact));
        double[] weights = {0.3, 0.7};
        Prompt prompt = Prompt.ofTokens(4, 8, 15, 16, 23, 42);
        List<io.tributary.routing.ExpertSession> exact = new ArrayList<>();
        List<io.tributary.routing.ExpertSession> wire = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            exact.add(locals.get(k).open(prompt));
            wire.add(remotes.get(k).open(prompt));
        }
        for (int token : new int[] {5, 50, 77, 1}) {
            float[] mixedExact = io.tributary.routing.mixing.LogMixture.mix(
                    weights,
                    new float[][] {exact.get(0).nextLogProbs(), exact.get(1).nextLogProbs()});
            float[] mixedWire = io.tributary.routing.mixing.LogMixture.mix(
                    weights,
                    new float[][] {wire.get(0).nextLogProbs(), wire.get(1).nextLogProbs()});
            double distance = 0;
            for (int x = 0; x < VOCABULARY; x++) {
                distance += Math.abs(Math.exp(mixedExact[x]) - Math.exp(mixedWire[x])) / 2;
            }
            assertThat(distance).isGreaterThan(0).isLessThanOrEqualTo(epsilon + 1e-6);
            for (int k = 0; k < 2; k++) {
                exact.get(k).append(token);
                wire.get(k).append(token);
            }
        }
    }

    @Test
    void anExpertThatMissesItsDeadlineIsDroppedAndTheOtherFinishesTheAnswer() {
        FakeExpert survivor = local(11);
        SlowExpert slow = new SlowExpert(local(10), 4, 1_500);
        ExpertHostServer slowServer = host(Duration.ofMinutes(1), slow);
        RemoteOptions deadline = new RemoteOptions(Duration.ofMillis(400), 0);
        RemoteExpert late = connect("expert-10", slowServer, deadline);
        RemoteExpert onTime = connect("expert-11", host(Duration.ofMinutes(1), survivor), deadline);
        java.util.Map<String, Throwable> lost = new java.util.concurrent.ConcurrentHashMap<>();
        RecordingListener listener = new RecordingListener() {
            @Override
            public void onExpertLost(String expert, Throwable failure) {
                lost.put(expert, failure);
            }
        };
        Mixture mixture = mixture(new FixedRouter(new double[] {0.5, 0.5}), late, onTime);
        try (DecodeScheduler scheduler =
                new DecodeScheduler(mixture, new DecodeScheduler.Limits(2, 2, 64, 1L << 40), 2, Thread::new)) {
            scheduler.submit(mixture.start(
                    new GenerationRequest(
                            Prompt.ofTokens(1, 2, 3), SamplingParams.GREEDY, new StoppingCriteria(10, List.of(), true)),
                    listener));
            assertThat(listener.result.join().generatedTokens()).isEqualTo(10);
        }
        assertThat(lost).containsOnlyKeys("expert-10");
        assertThat(lost.get("expert-10")).hasMessageContaining("missed the 400 ms deadline of a step");
        assertThat(listener.tokens.get(9).expertWeights()).containsExactly(0.0, 1.0);
        await().atMost(5, TimeUnit.SECONDS).until(() -> slowServer.openSessions() == 0);
    }

    @Test
    void aGatewayStartingBeforeItsExpertWaitsForIt() throws Exception {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        int expertPort = port;
        Thread later = new Thread(() -> {
            sleep(1_500);
            closing.add(new ExpertHostServer(
                            List.of(new HostedExpert(local(12), Optional.empty(), Set.of(EOS), java.util.Map.of())),
                            new ExpertHostServer.Settings(expertPort, Duration.ofMinutes(1), 1),
                            Thread::new)
                    .start());
        });
        later.start();
        RemoteExpert remote = RemoteExpert.connect(
                "expert-12",
                "localhost:" + port,
                new RemoteOptions(
                        Duration.ofSeconds(5),
                        0,
                        io.tributary.remote.security.RemoteSecurity.NONE,
                        Duration.ofSeconds(30)));
        closing.add(remote);
        later.join();
        assertThat(remote.vocabularySize()).isEqualTo(VOCABULARY);
    }

    @Test
    void whatTheHostTookFromItsPrefixCacheCrossesTheWire() {
        FakeExpert hosted = local(6).reusingPrefixes();
        RemoteExpert remote = connect(hosted.name(), host(Duration.ofMinutes(1), hosted));
        Mixture mixture = mixture(new FixedRouter(new double[] {1}), remote);
        GenerationResult first = decode(mixture, 1).get(0).result.join();
        // The host keeps a prefix when its session closes, which the gateway asks for without waiting.
        await().atMost(5, TimeUnit.SECONDS).until(() -> hosted.openSessions() == 0);
        GenerationResult again = decode(mixture, 1).get(0).result.join();

        assertThat(first.cachedPromptPositions()).isZero();
        assertThat(again.cachedPromptPositions())
                .as("all of its 7 positions but the last")
                .isEqualTo(6);
        assertThat(again.generatedText()).isEqualTo(first.generatedText());
    }

    @Test
    void sessionsAreClosedOnTheExpertWhenGenerationsEnd() {
        FakeExpert hosted = local(5);
        ExpertHostServer server = host(Duration.ofMinutes(1), hosted);
        RemoteExpert remote = connect(hosted.name(), server);
        decode(mixture(new FixedRouter(new double[] {1}), remote), 4);

        await().atMost(5, TimeUnit.SECONDS).until(() -> server.openSessions() == 0);
        assertThat(hosted.sessionsOpened.get()).isEqualTo(4);
        assertThat(hosted.openSessions()).isZero();
    }

    @Test
    void aGatewayThatVanishesLeavesNoSessionsBehindOnceTheLeaseRunsOut() {
        FakeExpert hosted = local(6);
        ExpertHostServer server = host(Duration.ofMillis(300), hosted);
        RemoteExpert remote = connect(hosted.name(), server);
        remote.open(Prompt.ofTokens(1, 2, 3));
        remote.open(Prompt.ofTokens(4, 5));
        assertThat(server.openSessions()).isEqualTo(2);

        sleep(900); // the gateway renews the leases while it lives
        assertThat(server.openSessions()).isEqualTo(2);

        remote.close(); // the gateway goes away without closing its sessions
        await().atMost(5, TimeUnit.SECONDS).until(() -> server.openSessions() == 0);
        assertThat(hosted.openSessions()).isZero();
    }

    @Test
    void aPromptTheExpertRefusesIsTheCallersMistakeAndAnUnknownExpertFailsToConnect() {
        ExpertHostServer server = host(Duration.ofMinutes(1), local(7));
        assertThatThrownBy(() -> connect("nobody", server))
                .isInstanceOf(RemoteExpertException.class)
                .hasMessageContaining("no expert 'nobody' here");
        RemoteExpert remote = connect("expert-7", server);
        assertThat(remote.vocabularySize()).isEqualTo(VOCABULARY);
        assertThat(remote.description().getEosTokenIdsList()).containsExactly(EOS);
        assertThat(remote.description().getTokenizerFilesMap()).containsKey("tokenizer.json");
    }

    @Test
    void aRefusalCrossesTheWireAsARefusalAndABugAsTheExpertsFailure() {
        RemoteExpert refusing = connect(
                "refusing",
                host(
                        Duration.ofMinutes(1),
                        new FailingOpen(
                                "refusing",
                                new PromptTooLongException("prompt of 2 tokens exceeds expert 'refusing'"))));
        assertThatThrownBy(() -> refusing.open(Prompt.ofTokens(4, 5)))
                .isInstanceOf(RemoteRefusedException.class)
                .isInstanceOf(RequestRefusedException.class)
                .hasMessage("prompt of 2 tokens exceeds expert 'refusing'");

        RemoteExpert buggy = connect(
                "buggy",
                host(
                        Duration.ofMinutes(1),
                        new FailingOpen(
                                "buggy", new IllegalArgumentException("a bad argument between our own classes"))));
        assertThatThrownBy(() -> buggy.open(Prompt.ofTokens(4, 5)))
                .as("not the client's mistake")
                .isInstanceOf(RemoteExpertException.class)
                .hasMessageContaining("INTERNAL");
    }

    private static void assertSameAnswers(List<RecordingListener> remote, List<RecordingListener> local) {
        assertThat(remote).hasSameSizeAs(local);
        for (int i = 0; i < local.size(); i++) {
            GenerationResult expected = local.get(i).result.join();
            GenerationResult actual = remote.get(i).result.join();
            assertThat(actual.generatedText()).isEqualTo(expected.generatedText());
            List<GeneratedToken> want = local.get(i).tokens;
            List<GeneratedToken> got = remote.get(i).tokens;
            assertThat(got).hasSameSizeAs(want);
            for (int t = 0; t < want.size(); t++) {
                assertThat(got.get(t).id()).isEqualTo(want.get(t).id());
                assertThat(got.get(t).logProb()).isEqualTo(want.get(t).logProb()); // exact mode: bit for bit
            }
        }
    }

    /** Decodes {@code requests} greedy generations together, batched by the scheduler. */
    private List<RecordingListener> decode(Mixture mixture, int requests) {
        List<RecordingListener> listeners = new ArrayList<>();
        try (DecodeScheduler scheduler =
                new DecodeScheduler(mixture, new DecodeScheduler.Limits(8, 8, 6, 1L << 40), 2, Thread::new)) {
            for (int r = 0; r < requests; r++) {
                RecordingListener listener = new RecordingListener();
                Prompt prompt = Prompt.ofTokens(3 + r, 10, 20 + r, 7, 1 + 2 * r, 4, 9); // 7 positions: chunked
                scheduler.submit(mixture.start(
                        new GenerationRequest(
                                prompt, SamplingParams.GREEDY, StoppingCriteria.maxNewTokens(12 + r), null, 0, true),
                        listener));
                listeners.add(listener);
            }
            listeners.forEach(listener -> listener.result.join());
        }
        return listeners;
    }

    private Mixture mixture(Router router, Expert... experts) {
        return new Mixture(
                "test", List.of(experts), router, new LetterDetokenizer(VOCABULARY, Set.of(EOS)), Set.of(EOS));
    }

    private static FakeExpert local(long seed) {
        return new FakeExpert("expert-" + seed, VOCABULARY, seed);
    }

    private RemoteExpert remote(FakeExpert expert) {
        return connect(expert.name(), host(Duration.ofMinutes(1), expert));
    }

    private ExpertHostServer host(Duration lease, Expert... experts) {
        List<HostedExpert> hosted = new ArrayList<>();
        for (Expert expert : experts) {
            hosted.add(new HostedExpert(
                    expert, Optional.empty(), Set.of(EOS), java.util.Map.of("tokenizer.json", "{}".getBytes())));
        }
        ExpertHostServer server =
                new ExpertHostServer(hosted, new ExpertHostServer.Settings(0, lease, 2), Thread::new).start();
        closing.add(server);
        return server;
    }

    private RemoteExpert connect(String name, ExpertHostServer server) {
        return connect(name, server, RemoteOptions.DEFAULT);
    }

    private RemoteExpert connect(String name, ExpertHostServer server, RemoteOptions options) {
        RemoteExpert remote = RemoteExpert.connect(name, "localhost:" + server.port(), options);
        closing.add(remote);
        return remote;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An expert whose batched passes become slow after a few, as an overloaded or stalled pod. */
    /** An expert whose every open fails with the given exception. */
    private record FailingOpen(String name, RuntimeException failure) implements Expert {
        @Override
        public int vocabularySize() {
            return VOCABULARY;
        }

        @Override
        public io.tributary.routing.ExpertSession open(Prompt prompt) {
            throw failure;
        }

        @Override
        public void close() {}
    }

    private static final class SlowExpert implements Expert {
        private final FakeExpert delegate;
        private final long stallMillis;
        private int fastPasses;

        SlowExpert(FakeExpert delegate, int fastPasses, long stallMillis) {
            this.delegate = delegate;
            this.fastPasses = fastPasses;
            this.stallMillis = stallMillis;
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
        public io.tributary.routing.ExpertSession open(Prompt prompt) {
            return delegate.open(prompt);
        }

        @Override
        public void forward(io.tributary.routing.ExpertBatch batch) {
            if (fastPasses-- <= 0) {
                sleep(stallMillis);
            }
            delegate.forward(batch);
        }

        @Override
        public void close() {}
    }
}
