package io.tributary.remote.security;

import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Who may call an expert server. TLS with the server's certificate and key (PEM files); with {@code clientCa}, only
 * clients presenting a certificate it signed (mutual TLS: an expert run by another organisation refuses strangers);
 * with {@code token}, only calls carrying {@code authorization: Bearer <token>}. The gRPC health service stays open
 * to probes without a token.
 *
 * @param certificate PEM certificate chain, or {@code null} for plaintext
 * @param privateKey  PEM private key (PKCS#8) of the certificate
 * @param clientCa    PEM certificates of the authorities whose client certificates are accepted; {@code null}: any
 *                    client may connect
 * @param token       the bearer token calls must carry; {@code null}: none
 */
public record ExpertServerSecurity(Path certificate, Path privateKey, Path clientCa, String token) {

    public static final ExpertServerSecurity NONE = new ExpertServerSecurity(null, null, null, null);

    public ExpertServerSecurity {
        if ((certificate == null) != (privateKey == null)) {
            throw new IllegalArgumentException("TLS needs both the certificate and its private key");
        }
        if (clientCa != null && certificate == null) {
            throw new IllegalArgumentException("client certificates can only be checked over TLS: give the server's "
                    + "certificate and private key too");
        }
        if (token != null && token.isBlank()) {
            throw new IllegalArgumentException("the bearer token must not be blank");
        }
    }

    public boolean tls() {
        return certificate != null;
    }

    public ServerCredentials credentials() {
        if (!tls()) {
            return InsecureServerCredentials.create();
        }
        try {
            TlsServerCredentials.Builder tls =
                    TlsServerCredentials.newBuilder().keyManager(certificate.toFile(), privateKey.toFile());
            if (clientCa != null) {
                tls.trustManager(clientCa.toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
            }
            return tls.build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the expert server's TLS files: " + e.getMessage(), e);
        }
    }
}
