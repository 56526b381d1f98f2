package io.tributary.remote.security;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.remote.client.RemoteExpert;
import io.tributary.remote.client.RemoteExpertException;
import io.tributary.remote.client.RemoteOptions;
import io.tributary.remote.client.ReplicaAddresses;
import io.tributary.remote.client.ReplicatedExpert;
import io.tributary.remote.host.ExpertHostServer;
import io.tributary.remote.host.HostedExpert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import io.tributary.routing.testing.FakeExpert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** TLS, client certificates and a bearer token between a gateway and an expert server. */
class SecureLinkTest {

    private static final String TOKEN = "s3cret-token";

    @TempDir
    static Path dir;

    static Pem expert;
    static Pem gateway;
    static Pem stranger;
    private final List<AutoCloseable> closing = new ArrayList<>();

    /** A self-signed certificate and its key as PEM files, made with the JDK's keytool. */
    record Pem(Path certificate, Path privateKey) {}

    @BeforeAll
    static void certificates() throws Exception {
        expert = selfSigned("expert");
        gateway = selfSigned("gateway");
        stranger = selfSigned("stranger");
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    @Test
    void aGatewayWithTheRightCertificateAndTokenDecodesOverMutualTls() {
        ExpertHostServer server = serve(
                new ExpertServerSecurity(expert.certificate(), expert.privateKey(), gateway.certificate(), TOKEN));
        RemoteExpert remote = connect(
                server,
                new RemoteSecurity(true, expert.certificate(), gateway.certificate(), gateway.privateKey(), TOKEN));
        try (ExpertSession session = remote.open(Prompt.ofTokens(1, 2, 3))) {
            assertThat(session.nextLogProbs()).hasSize(50);
        }
    }

    @Test
    void replicasFoundByNameAreCheckedAgainstTheNameNotTheirAddresses() {
        // The certificate names localhost only; the replicas are reached at the addresses localhost resolves to.
        ExpertHostServer server =
                serve(new ExpertServerSecurity(expert.certificate(), expert.privateKey(), null, null));
        ReplicatedExpert found = ReplicatedExpert.connect(
                "secure",
                ReplicaAddresses.parse("dns:///localhost:" + server.port()),
                new RemoteOptions(
                        Duration.ofSeconds(10), 0, new RemoteSecurity(true, expert.certificate(), null, null, null)));
        closing.add(found);

        assertThat(found.replicas())
                .isNotEmpty()
                .allSatisfy(replica -> assertThat(replica.address()).doesNotStartWith("localhost"));
        try (ExpertSession session = found.open(Prompt.ofTokens(1, 2, 3))) {
            assertThat(session.nextLogProbs()).hasSize(50);
        }
    }

    @Test
    void anExpertRefusesStrangersWithoutItsClientCertificate() {
        ExpertHostServer server =
                serve(new ExpertServerSecurity(expert.certificate(), expert.privateKey(), gateway.certificate(), null));
        assertThatThrownBy(() -> connect(server, new RemoteSecurity(true, expert.certificate(), null, null, null)))
                .isInstanceOf(RemoteExpertException.class)
                .hasMessageContaining("UNAVAILABLE");
        assertThatThrownBy(() -> connect(
                        server,
                        new RemoteSecurity(
                                true, expert.certificate(), stranger.certificate(), stranger.privateKey(), null)))
                .isInstanceOf(RemoteExpertException.class)
                .hasMessageContaining("UNAVAILABLE");
        assertThatThrownBy(() -> connect(server, RemoteSecurity.NONE)).isInstanceOf(RemoteExpertException.class);
    }

    @Test
    void aGatewayRefusesAnExpertWhoseCertificateItDoesNotTrust() {
        ExpertHostServer server =
                serve(new ExpertServerSecurity(stranger.certificate(), stranger.privateKey(), null, null));
        assertThatThrownBy(() -> connect(server, new RemoteSecurity(true, expert.certificate(), null, null, null)))
                .isInstanceOf(RemoteExpertException.class)
                .hasMessageContaining("UNAVAILABLE");
    }

    @Test
    void callsWithoutTheBearerTokenAreUnauthenticatedButHealthProbesPass() {
        ExpertHostServer server = serve(new ExpertServerSecurity(null, null, null, TOKEN));
        assertThatThrownBy(() -> connect(server, RemoteSecurity.NONE))
                .isInstanceOf(RemoteExpertException.class)
                .hasMessageContaining("UNAUTHENTICATED")
                .hasMessageContaining("needs a bearer token");
        assertThatThrownBy(() -> connect(server, new RemoteSecurity(false, null, null, null, "wrong")))
                .hasMessageContaining("the bearer token is not this expert server's");
        assertThat(connect(server, new RemoteSecurity(false, null, null, null, TOKEN))
                        .vocabularySize())
                .isEqualTo(50);

        ManagedChannel probe = NettyChannelBuilder.forAddress("localhost", server.port())
                .usePlaintext()
                .build();
        try {
            assertThat(HealthGrpc.newBlockingStub(probe)
                            .check(HealthCheckRequest.getDefaultInstance())
                            .getStatus())
                    .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        } finally {
            probe.shutdownNow();
        }
    }

    private ExpertHostServer serve(ExpertServerSecurity security) {
        HostedExpert hosted = new HostedExpert(
                new FakeExpert("secure", 50, 1), Optional.empty(), Set.of(), Map.of("tokenizer.json", new byte[] {
                    '{', '}'
                }));
        ExpertHostServer server = new ExpertHostServer(
                        List.of(hosted),
                        new ExpertHostServer.Settings(0, Duration.ofMinutes(1), 2, security),
                        Thread::new)
                .start();
        closing.add(server);
        return server;
    }

    private RemoteExpert connect(ExpertHostServer server, RemoteSecurity security) {
        RemoteExpert remote = RemoteExpert.connect(
                "secure", "localhost:" + server.port(), new RemoteOptions(Duration.ofSeconds(10), 0, security));
        closing.add(remote);
        return remote;
    }

    private static Pem selfSigned(String name) throws Exception {
        Path store = dir.resolve(name + ".p12");
        Process keytool = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "keytool")
                                .toString(),
                        "-genkeypair",
                        "-alias",
                        name,
                        "-keyalg",
                        "EC",
                        "-groupname",
                        "secp256r1",
                        "-validity",
                        "2",
                        "-dname",
                        "CN=" + name,
                        "-ext",
                        "SAN=dns:localhost",
                        "-ext",
                        "bc:c",
                        "-keystore",
                        store.toString(),
                        "-storetype",
                        "PKCS12",
                        "-storepass",
                        "changeit")
                .redirectErrorStream(true)
                .start();
        String output = new String(keytool.getInputStream().readAllBytes());
        assertThat(keytool.waitFor()).as(output).isZero();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(store.toFile())) {
            keys.load(in, "changeit".toCharArray());
        }
        Path certificate = Files.writeString(
                dir.resolve(name + ".crt"),
                pem("CERTIFICATE", keys.getCertificate(name).getEncoded()));
        Path privateKey = Files.writeString(
                dir.resolve(name + ".key"),
                pem("PRIVATE KEY", keys.getKey(name, "changeit".toCharArray()).getEncoded()));
        return new Pem(certificate, privateKey);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der) + "\n-----END " + type + "-----\n";
    }
}
