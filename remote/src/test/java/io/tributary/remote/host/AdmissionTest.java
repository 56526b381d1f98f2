package io.tributary.remote.host;

import io.tributary.remote.client.RemoteExpert;
import io.tributary.remote.client.RemoteExpertException;
import io.tributary.remote.client.RemoteOptions;
import io.tributary.remote.client.ReplicatedExpert;
import io.tributary.remote.security.ExpertServerSecurity;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertBatch;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import io.tributary.routing.testing.FakeExpert;
import io.tributary.routing.testing.ForwardingExpert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** An expert server bounds what gateways give it, and gateways take its refusals in their stride. */
class AdmissionTest {

    private static final int VOCABULARY = 41;
    private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    @Test
    void beyondItsSessionsAnExpertServerRefusesOpensUntilOneCloses() {
        ExpertHostServer host = host(new FakeExpert("alpha", VOCABULARY, 3), new ExpertHostServer.Admission(2, 4));
        RemoteExpert gateway = connect(host);
        ExpertSession first = gateway.open(Prompt.ofTokens(1, 2));
        gateway.open(Prompt.ofTokens(3));

        assertThatThrownBy(() -> gateway.open(Prompt.ofTokens(4)))
                .isInstanceOf(RemoteExpertException.class)
                .hasMessageContaining("RESOURCE_EXHAUSTED")
                .hasMessageContaining("holds 2 sessions, its most");
        assertThat(host.refusedSessions()).isEqualTo(1);

        first.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> host.openSessions() == 1);
        assertThat(gateway.open(Prompt.ofTokens(4)).nextLogProbs()).hasSize(VOCABULARY);
    }

    @Test
    void aReplicatedExpertOpensOnAReplicaWithRoomAndOnlyThenGivesUp() {
        ExpertHostServer.Admission one = new ExpertHostServer.Admission(1, 4);
        List<ExpertHostServer> hosts = List.of(
                host(new FakeExpert("alpha", VOCABULARY, 3), one), host(new FakeExpert("alpha", VOCABULARY, 3), one));
        ReplicatedExpert alpha = new ReplicatedExpert("alpha", List.of(connect(hosts.get(0)), connect(hosts.get(1))));

        alpha.open(Prompt.ofTokens(1));
        alpha.open(Prompt.ofTokens(2));

        assertThat(hosts).allSatisfy(host -> assertThat(host.openSessions()).isEqualTo(1));
        assertThatThrownBy(() -> alpha.open(Prompt.ofTokens(3)))
                .isInstanceOf(RemoteExpertException.class)
                .hasMessageContaining("no replica left");
    }

    @Test
    void aStepRefusedForAFullQueueIsSentAgainAndBothGatewaysAreServed() throws Exception {
        // No step may wait behind a running one: two gateways stepping a slow expert at once collide.
        ExpertHostServer host =
                host(new SlowExpert(new FakeExpert("alpha", VOCABULARY, 3), 300), new ExpertHostServer.Admission(8, 0));
        List<RemoteExpert> gateways = List.of(connect(host), connect(host));
        List<ExpertSession> sessions = new ArrayList<>();
        for (RemoteExpert gateway : gateways) {
            sessions.add(gateway.open(Prompt.ofTokens(5, 6, 7)));
        }

        List<CompletableFuture<float[]>> answers = sessions.stream()
                .map(session -> CompletableFuture.supplyAsync(session::nextLogProbs))
                .toList();

        for (CompletableFuture<float[]> answer : answers) {
            assertThat(answer.get()).hasSize(VOCABULARY);
        }
        assertThat(host.refusedSteps()).isPositive();
        assertThat(gateways.stream().mapToLong(RemoteExpert::busySteps).sum()).isEqualTo(host.refusedSteps());
    }

    private ExpertHostServer host(Expert expert, ExpertHostServer.Admission admission) {
        ExpertHostServer server = new ExpertHostServer(
                        List.of(new HostedExpert(
                                expert, Optional.empty(), Set.of(), Map.of("tokenizer.json", new byte[0]))),
                        new ExpertHostServer.Settings(
                                0, Duration.ofMinutes(1), 4, ExpertServerSecurity.NONE, admission),
                        Thread::new)
                .start();
        closing.add(server);
        return server;
    }

    private RemoteExpert connect(ExpertHostServer host) {
        RemoteExpert remote =
                RemoteExpert.connect("alpha", "localhost:" + host.port(), new RemoteOptions(Duration.ofSeconds(10), 0));
        closing.add(remote);
        return remote;
    }

    /** An expert whose passes take a while, as a busy one's do. */
    private static final class SlowExpert extends ForwardingExpert {
        private final long millis;

        SlowExpert(Expert delegate, long millis) {
            super(delegate);
            this.millis = millis;
        }

        @Override
        public void forward(ExpertBatch batch) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            delegate.forward(batch);
        }
    }
}
