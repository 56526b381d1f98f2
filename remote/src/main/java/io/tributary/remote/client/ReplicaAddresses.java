package io.tributary.remote.client;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Where the replicas of one expert are: a fixed list of {@code host:port}, or {@code dns:///host:port}, gRPC's
 * spelling of "every address the name resolves to". The second is what a Kubernetes headless Service gives: one
 * address per ready pod, so asking again finds pods that were added and misses pods that went away.
 */
public final class ReplicaAddresses {

    static final String DNS_SCHEME = "dns:///";

    /** Resolves a host name to all its addresses ({@link InetAddress#getAllByName} outside tests). */
    @FunctionalInterface
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    private final List<String> fixed;
    private final String host;
    private final int port;
    private final Resolver resolver;

    private ReplicaAddresses(List<String> fixed, String host, int port, Resolver resolver) {
        this.fixed = fixed;
        this.host = host;
        this.port = port;
        this.resolver = resolver;
    }

    /** Reads a manifest entry's checked {@code address}: {@code dns:///host:port}, or addresses joined by commas. */
    public static ReplicaAddresses parse(String address) {
        return parse(address, InetAddress::getAllByName);
    }

    static ReplicaAddresses parse(String address, Resolver resolver) {
        if (!address.startsWith(DNS_SCHEME)) {
            return new ReplicaAddresses(Arrays.asList(address.split(",")), null, 0, resolver);
        }
        String hostPort = address.substring(DNS_SCHEME.length());
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("expected dns:///host:port, got '" + address + "'");
        }
        return new ReplicaAddresses(
                null, hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)), resolver);
    }

    /** Whether the replicas are found by resolving a name, and so may change while the gateway runs. */
    public boolean discovered() {
        return host != null;
    }

    /**
     * The name the replicas' certificates are checked against and that calls carry as their authority, when they are
     * reached by resolved address; empty for fixed addresses, which stand for themselves.
     */
    public Optional<String> authority() {
        return discovered() ? Optional.of(host + ":" + port) : Optional.empty();
    }

    /**
     * The replicas' addresses now, each {@code host:port}.
     *
     * @throws UnknownHostException when the name does not resolve (no ready replica, or no DNS)
     */
    public List<String> resolve() throws UnknownHostException {
        if (!discovered()) {
            return fixed;
        }
        return Arrays.stream(resolver.resolve(host))
                .map(address -> address instanceof Inet6Address
                        ? "[" + address.getHostAddress() + "]:" + port
                        : address.getHostAddress() + ":" + port)
                .distinct()
                .sorted()
                .toList();
    }

    @Override
    public String toString() {
        return discovered() ? DNS_SCHEME + host + ":" + port : String.join(",", fixed);
    }
}
