package io.tributary.server.security;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * Which addresses a fetch on a client's behalf may reach: only public ones. Loopback, link-local (cloud metadata
 * services live there), private, carrier-grade NAT, unique-local IPv6, multicast and unspecified addresses are
 * refused, as are IPv4 addresses wrapped in IPv6.
 */
final class PublicAddresses {

    private PublicAddresses() {}

    /** Why the address may not be fetched from, or {@code null} when it may. */
    static String refusal(InetAddress address) {
        if (address.isLoopbackAddress()) {
            return "a loopback address";
        }
        if (address.isLinkLocalAddress()) {
            return "a link-local address";
        }
        if (address.isSiteLocalAddress()) {
            return "a private address";
        }
        if (address.isAnyLocalAddress() || address.isMulticastAddress()) {
            return "not a unicast address";
        }
        byte[] bytes = address.getAddress();
        if (address instanceof Inet4Address) {
            int first = bytes[0] & 0xFF;
            int second = bytes[1] & 0xFF;
            if (first == 0 || first >= 240) {
                return "a reserved address";
            }
            if (first == 100 && second >= 64 && second < 128) {
                return "a carrier-grade NAT address";
            }
            return null;
        }
        if (address instanceof Inet6Address) {
            if ((bytes[0] & 0xFE) == 0xFC) {
                return "a unique-local address";
            }
            if (isIpv4Inside(bytes)) {
                return "an IPv4 address inside IPv6";
            }
        }
        return null;
    }

    /** IPv4-mapped ({@code ::ffff:a.b.c.d}) and IPv4-compatible ({@code ::a.b.c.d}) IPv6 addresses. */
    private static boolean isIpv4Inside(byte[] bytes) {
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return (bytes[10] == 0 && bytes[11] == 0) || (bytes[10] == (byte) 0xFF && bytes[11] == (byte) 0xFF);
    }
}
