package io.tributary.server.mixture;

import io.tributary.remote.security.ExpertServerSecurity;
import io.tributary.remote.security.RemoteSecurity;
import io.tributary.server.config.InvalidSettingException;
import io.tributary.server.config.TributaryProperties;

import java.nio.file.Files;
import java.nio.file.Path;

/** The security settings of the link between a gateway and its expert servers, checked at start-up. */
public final class LinkSecurity {

    private LinkSecurity() {}

    static RemoteSecurity gateway(TributaryProperties.Remote remote) {
        TributaryProperties.ClientTls tls = remote.tls();
        readable("tributary.remote.tls.ca", tls.ca());
        readable("tributary.remote.tls.certificate", tls.certificate());
        readable("tributary.remote.tls.private-key", tls.privateKey());
        try {
            return new RemoteSecurity(tls.enabled(), tls.ca(), tls.certificate(), tls.privateKey(), remote.token());
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(
                    "tributary.remote.tls",
                    e.getMessage(),
                    "Give tributary.remote.tls.certificate and tributary.remote.tls.private-key together.",
                    e);
        }
    }

    public static ExpertServerSecurity expertServer(TributaryProperties.ExpertServer server) {
        TributaryProperties.ServerTls tls = server.tls();
        readable("tributary.expert-server.tls.certificate", tls.certificate());
        readable("tributary.expert-server.tls.private-key", tls.privateKey());
        readable("tributary.expert-server.tls.client-ca", tls.clientCa());
        try {
            return new ExpertServerSecurity(tls.certificate(), tls.privateKey(), tls.clientCa(), server.token());
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(
                    "tributary.expert-server.tls",
                    e.getMessage(),
                    "Give tributary.expert-server.tls.certificate and .private-key together (client-ca needs both).",
                    e);
        }
    }

    private static void readable(String setting, Path file) {
        if (file != null && !Files.isReadable(file)) {
            throw new InvalidSettingException(setting, file + " cannot be read", "Point it at a PEM file.", null);
        }
    }
}
