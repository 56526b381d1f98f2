package io.tributary.server.mixture;

import io.tributary.model.LoadOptions;
import io.tributary.model.image.ImageLimits;
import io.tributary.remote.client.RemoteOptions;
import io.tributary.remote.host.ExpertHostServer;
import io.tributary.remote.host.HostedExpert;
import io.tributary.remote.security.ExpertServerSecurity;
import io.tributary.server.TinyTextMixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Each remote expert's own link settings in the manifest: experts run by different organisations ask for different
 * bearer tokens (and may use different authorities), which one gateway-wide setting cannot give.
 */
class RemoteExpertLinkTest {

    @TempDir
    static Path dir;

    static ServedModel hostedModel;
    static ExpertHostServer alpha;
    static ExpertHostServer beta;

    @BeforeAll
    static void serveTwoExpertsAskingForDifferentTokens() throws Exception {
        Path local = TinyTextMixture.write(dir.resolve("local"));
        MixtureLoader loader = loader();
        MixtureLoader.Checked checked = loader.check(local);
        hostedModel = loader.load(checked);
        List<HostedExpert> hosted = HostedExperts.of(hostedModel, checked);
        alpha = serve(hosted.get(0), "alpha-secret");
        beta = serve(hosted.get(1), "beta-secret");
        Files.writeString(dir.resolve("alpha.token"), "alpha-secret\n");
        Files.writeString(dir.resolve("beta.token"), "beta-secret\n");
    }

    @AfterAll
    static void stop() throws Exception {
        alpha.close();
        beta.close();
        hostedModel.close();
    }

    @Test
    void eachExpertGetsTheTokenItsEntryNames() throws Exception {
        Path manifest = gateway("alpha.token", "beta.token", null);

        try (ServedModel gateway = loader().load(manifest)) {
            assertThat(gateway.mixture().experts()).hasSize(2);
            assertThat(gateway.expertNames()).containsExactly("expert-0", "expert-1");
        }
    }

    @Test
    void anExpertGivenAnotherExpertsTokenRefusesTheGateway() throws Exception {
        Path manifest = gateway("alpha.token", "alpha.token", null);

        assertThatThrownBy(() -> loader().check(manifest))
                .isInstanceOf(InvalidManifestException.class)
                .hasMessageContaining("experts[1].address")
                .hasMessageContaining("cannot reach expert 'expert-1'");
    }

    @Test
    void anEntrysTlsReplacesThePlaintextGatewaySetting() throws Exception {
        // TLS with the JVM's authorities to an expert server that speaks plaintext: the handshake fails, which
        // shows the entry's setting, not the gateway's, made the link.
        Path manifest = gateway("alpha.token", "beta.token", new MixtureManifest.Tls(null, null, null));

        assertThatThrownBy(() -> loader().check(manifest))
                .isInstanceOf(InvalidManifestException.class)
                .hasMessageContaining("experts[1].address");
    }

    @Test
    void linkSettingsAreCheckedWhenTheManifestIsRead() throws Exception {
        assertReadRefuses("local-link.yaml", """
                name: m
                experts:
                  - name: a
                    path: local/expert-0
                    token_file: alpha.token
                """, "experts[0].token_file", "only for an expert given by address");
        assertReadRefuses("missing-token.yaml", """
                name: m
                experts:
                  - name: a
                    address: localhost:1
                    token_file: absent.token
                """, "experts[0].token_file", "is not a readable file");
        assertReadRefuses("half-certificate.yaml", """
                name: m
                experts:
                  - name: a
                    address: localhost:1
                    tls:
                      certificate: alpha.token
                """, "experts[0].tls.private_key", "needs its private key");
    }

    /** Reading {@code yaml} (written as {@code file}) fails naming {@code key} and saying {@code reason}. */
    private static void assertReadRefuses(String file, String yaml, String key, String reason) throws IOException {
        Path manifest = Files.writeString(dir.resolve(file), yaml);
        assertThatThrownBy(() -> ManifestReader.read(manifest))
                .hasMessageContaining(key)
                .hasMessageContaining(reason);
    }

    /** A gateway manifest naming both experts by address, each with its token file and the second with {@code tls}. */
    private static Path gateway(String alphaToken, String betaToken, MixtureManifest.Tls betaTls) {
        return ManifestReader.write(
                dir.resolve("gateway-" + alphaToken + "-" + betaToken + "-" + (betaTls != null) + ".yaml"),
                new MixtureManifest(
                        "gateway",
                        List.of(
                                new MixtureManifest.ExpertEntry(
                                        "expert-0", null, "localhost:" + alpha.port(), null, alphaToken),
                                new MixtureManifest.ExpertEntry(
                                        "expert-1", null, "localhost:" + beta.port(), betaTls, betaToken)),
                        MixtureManifest.RouterEntry.of("uniform")));
    }

    private static ExpertHostServer serve(HostedExpert expert, String token) {
        return new ExpertHostServer(
                        List.of(expert),
                        new ExpertHostServer.Settings(
                                0, Duration.ofMinutes(1), 2, new ExpertServerSecurity(null, null, null, token)),
                        Thread::new)
                .start();
    }

    private static MixtureLoader loader() {
        return new MixtureLoader(
                LoadOptions.cpu(),
                ImageLimits.DEFAULT,
                new RemoteOptions(Duration.ofSeconds(10), 0),
                dir.resolve("remote-tokenizers"));
    }
}
