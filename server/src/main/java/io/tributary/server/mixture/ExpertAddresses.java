package io.tributary.server.mixture;

import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code address} of a remote expert in a manifest: {@code host:port}, a list of them for an expert served by
 * several expert servers (replicas of one checkpoint), or {@code dns:///host:port} for replicas found, and found again
 * while the gateway runs, by resolving the name (a Kubernetes headless Service), checked before anything connects.
 * Held in the entry as one text, a list's addresses joined by commas.
 */
final class ExpertAddresses {

    // A DNS name, an IPv4 address or a bracketed IPv6 address, then a port.
    private static final Pattern HOST_PORT =
            Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)" + ":(\\d{1,5})");

    private static final String DNS = "dns:///";

    private ExpertAddresses() {}

    /**
     * Reads {@code host:port}, a YAML list of them, the same list as one text joined by commas, or
     * {@code dns:///host:port}.
     *
     * @return the address, or the replicas' addresses joined by commas
     */
    static String check(ManifestFields fields, String key) {
        JsonNode value = fields.get(key);
        if (value != null && value.isString() && value.asString().strip().startsWith(DNS)) {
            String name = value.asString().strip().substring(DNS.length());
            if (name.startsWith("[") || name.matches("[0-9.]+:\\d+")) {
                throw fields.problem(
                        key, "dns:/// takes a name to resolve, not an address; got '" + value.asString() + "'");
            }
            return DNS + checkOne(fields, key, name);
        }
        List<String> given = new ArrayList<>();
        if (value != null && value.isArray()) {
            for (JsonNode item : value) {
                if (!item.isString()) {
                    throw fields.problem(key, "expected a list of host:port, found " + item);
                }
                given.add(item.asString());
            }
        } else {
            given.addAll(split(fields.text(key, true)));
        }
        if (given.isEmpty()) {
            throw fields.problem(key, "lists no address; give host:port, or a list of them for replicas");
        }
        List<String> addresses = new ArrayList<>();
        for (String address : given) {
            addresses.add(checkOne(fields, key, address.strip()));
        }
        if (new LinkedHashSet<>(addresses).size() != addresses.size()) {
            throw fields.problem(key, "lists an address twice: " + addresses);
        }
        return String.join(",", addresses);
    }

    private static List<String> split(String address) {
        return Arrays.asList(address.split(","));
    }

    private static String checkOne(ManifestFields fields, String key, String address) {
        var match = HOST_PORT.matcher(address);
        if (!match.matches()) {
            throw fields.problem(
                    key,
                    "expected host:port (e.g. law-expert:50051)"
                            + (address.contains(DNS) ? ", or dns:///host:port alone" : "") + ", got '" + address + "'");
        }
        int port = Integer.parseInt(match.group(3));
        if (port < 1 || port > 65_535) {
            throw fields.problem(key, "the port must be from 1 to 65535, got " + port);
        }
        return address;
    }
}
