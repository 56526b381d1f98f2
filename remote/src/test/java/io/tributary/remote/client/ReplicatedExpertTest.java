package io.tributary.remote.client;

import io.tributary.remote.host.ExpertHostServer;
import io.tributary.remote.host.HostedExpert;
import io.tributary.remote.security.ExpertServerSecurity;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import io.tributary.routing.decode.DecodeScheduler;
import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.Generation;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.decode.Mixture;
import io.tributary.routing.decode.StoppingCriteria;
import io.tributary.routing.router.FixedRouter;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.routing.testing.FakeExpert;
import io.tributary.routing.testing.LetterDetokenizer;
import io.tributary.routing.testing.RecordingListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** An expert on two expert servers: sessions spread over them, and move by replay when theirs fails mid-answer. */
class ReplicatedExpertTest {

    private static final int VOCABULARY = 53;
    private static final RemoteOptions OPTIONS = new RemoteOptions(Duration.ofSeconds(5), 0);
    private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    @Test
    void killingTheReplicaOfAnAnswerMidwayLeavesTheGreedyAnswerAsItWouldHaveBeen() {
        List<ExpertHostServer> hosts =
                List.of(host(new FakeExpert("alpha", VOCABULARY, 5)), host(new FakeExpert("alpha", VOCABULARY, 5)));
        ReplicatedExpert alpha = replicated("alpha", hosts);
        int[] ports = {hosts.get(0).port(), hosts.get(1).port()};
        int[] expected = decode(new FakeExpert("alpha", VOCABULARY, 5), new RecordingListener(), null);

        List<String> failovers = new CopyOnWriteArrayList<>();
        RecordingListener listener = new RecordingListener() {
            @Override
            public void onExpertFailover(String expert, String detail) {
                failovers.add(expert + ": " + detail);
            }
        };
        int[] answer = decode(alpha, listener, token -> {
            if (token.index() == 5) {
                hosts.get(0).close(); // the first session went to the first replica (both were idle)
            }
        });

        assertThat(answer).containsExactly(expected);
        assertThat(listener.result.join().lostExperts()).isEmpty();
        assertThat(failovers)
                .singleElement()
                .asString()
                .startsWith("alpha: localhost:" + ports[0] + " failed after 6 tokens")
                .endsWith("replayed on localhost:" + ports[1]);
        // Closed with the answer (the close is sent without waiting).
        await().atMost(Duration.ofSeconds(10)).until(() -> hosts.get(1).openSessions() == 0);
    }

    @Test
    void whenEveryReplicaIsGoneTheExpertIsDroppedAsBefore() {
        List<ExpertHostServer> hosts =
                List.of(host(new FakeExpert("alpha", VOCABULARY, 5)), host(new FakeExpert("alpha", VOCABULARY, 5)));
        ReplicatedExpert alpha = replicated("alpha", hosts);
        RecordingListener listener = new RecordingListener();

        int[] answer = decode(alpha, listener, token -> {
            if (token.index() == 3) {
                hosts.forEach(ExpertHostServer::close);
            }
        });

        assertThat(answer).hasSize(12);
        var lost = listener.result.join().lostExperts();
        assertThat(lost).singleElement().satisfies(expert -> {
            assertThat(expert.expert()).isEqualTo("alpha");
            assertThat(expert.reason()).contains("no replica left");
        });
    }

    @Test
    void aSessionNoReplicaCanTakeFailsOnlyItsOwnRequest() throws Exception {
        // The second replica has room for one session: the second request's. The first request's cannot move there.
        List<ExpertHostServer> hosts = List.of(
                host(new FakeExpert("alpha", VOCABULARY, 5), ExpertHostServer.Admission.DEFAULT),
                host(new FakeExpert("alpha", VOCABULARY, 5), new ExpertHostServer.Admission(1, 16)));
        ReplicatedExpert alpha = replicated("alpha", hosts);
        Mixture mixture = mixture(alpha);
        RecordingListener first = new RecordingListener() {
            @Override
            public void onToken(GeneratedToken token) {
                super.onToken(token);
                if (token.index() == 3) {
                    hosts.get(0).close();
                }
            }
        };
        RecordingListener second = new RecordingListener();
        try (DecodeScheduler scheduler =
                new DecodeScheduler(mixture, new DecodeScheduler.Limits(4, 4, 64, 1L << 40), Thread::new)) {
            scheduler.submit(mixture.start(request(), first)); // opens on the first replica (both idle)
            scheduler.submit(mixture.start(request(), second)); // on the second, the least loaded
            first.result.handle((result, error) -> result).get(30, TimeUnit.SECONDS);
            second.result.handle((result, error) -> result).get(30, TimeUnit.SECONDS);
        }

        assertThat(first.result.join().lostExperts())
                .singleElement()
                .satisfies(lost -> assertThat(lost.reason()).contains("no replica left", "RESOURCE_EXHAUSTED"));
        assertThat(second.result.join().lostExperts()).isEmpty();
        assertThat(second.tokenIds())
                .containsExactly(decode(new FakeExpert("alpha", VOCABULARY, 5), new RecordingListener(), null));
    }

    @Test
    void newSessionsGoToTheLeastLoadedHealthyReplica() {
        List<ExpertHostServer> hosts =
                List.of(host(new FakeExpert("alpha", VOCABULARY, 5)), host(new FakeExpert("alpha", VOCABULARY, 5)));
        ReplicatedExpert alpha = replicated("alpha", hosts);
        List<ExpertSession> sessions = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            sessions.add(alpha.open(Prompt.ofTokens(1, 2, 3)));
        }
        assertThat(hosts).allSatisfy(host -> assertThat(host.openSessions()).isEqualTo(2));

        hosts.get(0).close();
        for (ExpertSession session : sessions) {
            assertThat(session.nextLogProbs()).hasSize(VOCABULARY); // the first replica's two move over
        }
        assertThat(hosts.get(1).openSessions()).isEqualTo(4);
        assertThat(alpha.open(Prompt.ofTokens(4)).nextLogProbs()).hasSize(VOCABULARY);
        sessions.forEach(ExpertSession::close);
    }

    @Test
    void replicasMustServeTheSameCheckpoint() {
        List<ExpertHostServer> hosts =
                List.of(host(new FakeExpert("alpha", VOCABULARY, 5)), host(new FakeExpert("alpha", VOCABULARY + 1, 5)));

        assertThatThrownBy(() -> replicated("alpha", hosts))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("serve different checkpoints");
    }

    /** Greedy, 12 tokens, alongside a local second expert; {@code onToken} runs on each token. */
    /** {@code alpha} alongside a local second expert, weighted 0.6 and 0.4. */
    private static Mixture mixture(Expert alpha) {
        return new Mixture(
                "m",
                List.of(alpha, new FakeExpert("beta", VOCABULARY, 9)),
                new FixedRouter(new double[] {0.6, 0.4}),
                new LetterDetokenizer(VOCABULARY, Set.of()),
                Set.of());
    }

    /** Greedy, 12 tokens. */
    private static GenerationRequest request() {
        return new GenerationRequest(
                Prompt.ofTokens(7, 3, 9, 1), SamplingParams.GREEDY, StoppingCriteria.maxNewTokens(12), null, 0, false);
    }

    private int[] decode(
            Expert alpha, RecordingListener listener, java.util.function.Consumer<GeneratedToken> onToken) {
        Mixture mixture = mixture(alpha);
        RecordingListener watching = onToken == null
                ? listener
                : new RecordingListener() {
                    @Override
                    public void onToken(GeneratedToken token) {
                        listener.onToken(token);
                        onToken.accept(token);
                    }

                    @Override
                    public void onFinish(io.tributary.routing.decode.GenerationResult finished) {
                        listener.onFinish(finished);
                    }

                    @Override
                    public void onError(Throwable error) {
                        listener.onError(error);
                    }

                    @Override
                    public void onExpertFailover(String expert, String detail) {
                        listener.onExpertFailover(expert, detail);
                    }
                };
        Generation generation = mixture.start(request(), watching);
        while (!generation.step()) {
            // one token at a time
        }
        listener.result.join();
        return listener.tokenIds();
    }

    private ExpertHostServer host(Expert expert) {
        return host(expert, ExpertHostServer.Admission.DEFAULT);
    }

    private ExpertHostServer host(Expert expert, ExpertHostServer.Admission admission) {
        ExpertHostServer server = new ExpertHostServer(
                        List.of(new HostedExpert(
                                expert, Optional.empty(), Set.of(), Map.of("tokenizer.json", new byte[0]))),
                        new ExpertHostServer.Settings(
                                0, Duration.ofMinutes(1), 2, ExpertServerSecurity.NONE, admission),
                        Thread::new)
                .start();
        closing.add(server);
        return server;
    }

    private ReplicatedExpert replicated(String name, List<ExpertHostServer> hosts) {
        List<RemoteExpert> replicas = new ArrayList<>();
        for (ExpertHostServer host : hosts) {
            RemoteExpert replica = RemoteExpert.connect(name, "localhost:" + host.port(), OPTIONS);
            closing.add(replica);
            replicas.add(replica);
        }
        return new ReplicatedExpert(name, replicas);
    }
}
