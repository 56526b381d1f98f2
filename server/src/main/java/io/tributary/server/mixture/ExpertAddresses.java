package io.tributary.server.mixture;

import java.util.regex.Pattern;

/** The {@code address} of a remote expert in a manifest: {@code host:port}, checked before anything connects. */
final class ExpertAddresses {

    // A DNS name, an IPv4 address or a bracketed IPv6 address, then a port.
    private static final Pattern HOST_PORT =
            Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)" + ":(\\d{1,5})");

    private ExpertAddresses() {}

    static String check(ManifestFields fields, String key) {
        String address = fields.text(key, true);
        var match = HOST_PORT.matcher(address);
        if (!match.matches()) {
            throw fields.problem(key, "expected host:port (e.g. law-expert:50051), got '" + address + "'");
        }
        int port = Integer.parseInt(match.group(3));
        if (port < 1 || port > 65_535) {
            throw fields.problem(key, "the port must be from 1 to 65535, got " + port);
        }
        return address;
    }
}
