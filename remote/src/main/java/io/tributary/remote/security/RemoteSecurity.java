package io.tributary.remote.security;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * How a gateway proves itself to its remote experts and checks them.
 *
 * @param tls         whether to use TLS (implied by any file below)
 * @param ca          PEM certificates of the authorities that signed the experts' certificates; {@code null}: the
 *                    JVM's trusted authorities
 * @param certificate the gateway's PEM client certificate chain, for experts that require one; {@code null}: none
 * @param privateKey  its PEM private key (PKCS#8)
 * @param token       the bearer token sent on every call; {@code null}: none
 */
public record RemoteSecurity(boolean tls, Path ca, Path certificate, Path privateKey, String token) {

    public static final RemoteSecurity NONE = new RemoteSecurity(false, null, null, null, null);

    public RemoteSecurity {
        if ((certificate == null) != (privateKey == null)) {
            throw new IllegalArgumentException("a client certificate needs its private key, and a key its certificate");
        }
        tls = tls || ca != null || certificate != null;
        if (token != null && token.isBlank()) {
            throw new IllegalArgumentException("the bearer token must not be blank");
        }
    }

    public ChannelCredentials credentials() {
        if (!tls) {
            return InsecureChannelCredentials.create();
        }
        try {
            TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder();
            if (ca != null) {
                builder.trustManager(ca.toFile());
            }
            if (certificate != null) {
                builder.keyManager(certificate.toFile(), privateKey.toFile());
            }
            return builder.build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the gateway's TLS files: " + e.getMessage(), e);
        }
    }
}
