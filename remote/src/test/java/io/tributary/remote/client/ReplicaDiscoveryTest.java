package io.tributary.remote.client;

import io.grpc.ManagedChannelBuilder;
import io.tributary.remote.host.ExpertHostServer;
import io.tributary.remote.host.HostedExpert;
import io.tributary.remote.security.ExpertServerSecurity;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import io.tributary.routing.testing.FakeExpert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Replicas that change while the gateway runs: a {@code dns:///} name resolved again (addresses join, addresses gone
 * are retired once their sessions end), and a listed replica that was down at start-up joining when it answers.
 */
class ReplicaDiscoveryTest {

    private static final int VOCABULARY = 31;
    private static final RemoteOptions OPTIONS = new RemoteOptions(Duration.ofSeconds(5), 0);
    private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    @Test
    void aNameResolvedAgainAddsTheReplicasItGainedAndRetiresThoseItLost() throws Exception {
        ExpertHostServer first = host(0);
        ExpertHostServer second = host(0);
        // Two pods behind one name, as a headless Service gives them: their addresses differ, their port does not.
        Map<String, Integer> pods = Map.of("10.0.0.1:50051", first.port(), "10.0.0.2:50051", second.port());
        AtomicReference<String[]> answer = new AtomicReference<>(new String[] {"10.0.0.1"});
        ReplicaAddresses addresses = ReplicaAddresses.parse("dns:///alpha-pool:50051", host -> {
            assertThat(host).isEqualTo("alpha-pool");
            InetAddress[] found = new InetAddress[answer.get().length];
            for (int i = 0; i < found.length; i++) {
                found[i] = InetAddress.getByName(answer.get()[i]);
            }
            return found;
        });
        ReplicatedExpert alpha = new ReplicatedExpert("alpha", List.of(connect("10.0.0.1:50051", pods)));
        closing.add(alpha);
        ExpertSession onFirst = alpha.open(Prompt.ofTokens(1, 2, 3));
        assertThat(onFirst.nextLogProbs()).hasSize(VOCABULARY);

        answer.set(new String[] {"10.0.0.2", "10.0.0.1"});
        alpha.refresh(addresses, address -> connect(address, pods));
        assertThat(alpha.replicas())
                .extracting(RemoteExpert::address)
                .containsExactly("10.0.0.1:50051", "10.0.0.2:50051");
        assertThat(alpha.open(Prompt.ofTokens(4)).nextLogProbs()).hasSize(VOCABULARY);
        assertThat(second.openSessions()).isOne(); // the least loaded took it

        answer.set(new String[] {"10.0.0.2"}); // the first pod went away
        alpha.refresh(addresses, address -> connect(address, pods));
        assertThat(alpha.replicas()).extracting(RemoteExpert::address).containsExactly("10.0.0.2:50051");
        onFirst.append(7); // its session finishes where it is
        assertThat(onFirst.nextLogProbs()).hasSize(VOCABULARY);
        assertThat(onFirst.failovers()).isEmpty();
        alpha.open(Prompt.ofTokens(5)).nextLogProbs();
        assertThat(second.openSessions()).isEqualTo(2);
        long steps = alpha.steps();

        onFirst.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> first.openSessions() == 0);
        alpha.refresh(addresses, address -> connect(address, pods)); // closes the retired replica
        assertThat(alpha.steps()).isEqualTo(steps); // a counter: a retired replica's steps still count
    }

    @Test
    void aNameThatStopsResolvingKeepsTheKnownReplicas() throws Exception {
        ExpertHostServer first = host(0);
        ReplicatedExpert alpha = new ReplicatedExpert(
                "alpha", List.of(connect("10.0.0.1:50051", Map.of("10.0.0.1:50051", first.port()))));
        closing.add(alpha);
        ReplicaAddresses silent = ReplicaAddresses.parse("dns:///alpha-pool:50051", host -> {
            throw new UnknownHostException(host);
        });

        alpha.refresh(silent, address -> {
            throw new AssertionError("nothing to connect");
        });

        assertThat(alpha.replicas()).extracting(RemoteExpert::address).containsExactly("10.0.0.1:50051");
    }

    @Test
    void aReplicaOfAnotherCheckpointDoesNotJoin() throws Exception {
        ExpertHostServer first = host(0);
        ExpertHostServer other = host(0, new FakeExpert("alpha", VOCABULARY + 1, 5));
        Map<String, Integer> pods = Map.of("10.0.0.1:50051", first.port(), "10.0.0.2:50051", other.port());
        ReplicatedExpert alpha = new ReplicatedExpert("alpha", List.of(connect("10.0.0.1:50051", pods)));
        closing.add(alpha);

        alpha.refresh(
                ReplicaAddresses.parse("dns:///alpha-pool:50051", host ->
                        new InetAddress[] {InetAddress.getByName("10.0.0.1"), InetAddress.getByName("10.0.0.2")}),
                address -> connect(address, pods));

        assertThat(alpha.replicas()).hasSize(1);
        assertThat(alpha.unreached()).containsOnlyKeys("10.0.0.2:50051");
        assertThat(alpha.unreached().get("10.0.0.2:50051")).contains("serve different checkpoints");
    }

    @Test
    void aListedReplicaThatWasDownAtStartUpJoinsWhenItAnswers() throws Exception {
        ExpertHostServer up = host(0);
        int later = freePort();
        RemoteOptions options = new RemoteOptions(
                        Duration.ofSeconds(5), 0, io.tributary.remote.security.RemoteSecurity.NONE, Duration.ZERO)
                .withReplicaRefresh(Duration.ofMillis(200));

        ReplicatedExpert alpha = ReplicatedExpert.connect(
                "alpha", ReplicaAddresses.parse("localhost:" + up.port() + ",localhost:" + later), options);
        closing.add(alpha);
        assertThat(alpha.replicas()).extracting(RemoteExpert::address).containsExactly("localhost:" + up.port());
        assertThat(alpha.unreached()).containsOnlyKeys("localhost:" + later);

        host(later);
        await().atMost(Duration.ofSeconds(20)).until(() -> alpha.replicas().size() == 2);
        assertThat(alpha.unreached()).isEmpty();
    }

    @Test
    void startUpFailsOnlyWhenNoReplicaAnswers() throws Exception {
        int down = freePort();
        assertThatThrownBy(
                        () -> ReplicatedExpert.connect("alpha", ReplicaAddresses.parse("localhost:" + down), OPTIONS))
                .isInstanceOf(RemoteExpertException.class)
                .hasMessageContaining("no replica answered")
                .hasMessageContaining("localhost:" + down);
    }

    @Test
    void aDnsNameConnectsToEveryAddressItResolvesTo() {
        ExpertHostServer up = host(0);

        ReplicatedExpert alpha =
                ReplicatedExpert.connect("alpha", ReplicaAddresses.parse("dns:///localhost:" + up.port()), OPTIONS);
        closing.add(alpha);

        assertThat(alpha.replicas())
                .isNotEmpty()
                .allSatisfy(replica ->
                        assertThat(replica.address()).endsWith(":" + up.port()).doesNotStartWith("localhost"));
        assertThat(alpha.open(Prompt.ofTokens(1)).nextLogProbs()).hasSize(VOCABULARY);
    }

    /** A connection to the pod at {@code address}, which is served here on the port {@code pods} maps it to. */
    private RemoteExpert connect(String address, Map<String, Integer> pods) {
        var channel = ManagedChannelBuilder.forAddress("localhost", pods.get(address))
                .usePlaintext()
                .build();
        return RemoteExpert.connect("alpha", address, channel, true, OPTIONS);
    }

    private ExpertHostServer host(int port) {
        return host(port, new FakeExpert("alpha", VOCABULARY, 5));
    }

    private ExpertHostServer host(int port, Expert expert) {
        ExpertHostServer server = new ExpertHostServer(
                        List.of(new HostedExpert(
                                expert, Optional.empty(), Set.of(), Map.of("tokenizer.json", new byte[0]))),
                        new ExpertHostServer.Settings(
                                port,
                                Duration.ofMinutes(1),
                                2,
                                ExpertServerSecurity.NONE,
                                ExpertHostServer.Admission.DEFAULT),
                        Thread::new)
                .start();
        closing.add(server);
        return server;
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
