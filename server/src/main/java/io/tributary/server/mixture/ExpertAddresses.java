package io.tributary.server.mixture;

import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code address} of a remote expert in a manifest: {@code host:port}, or a list of them for an expert served by
 * several expert servers (replicas of one checkpoint), checked before anything connects. Held in the entry as one
 * text, the addresses joined by commas.
 */
final class ExpertAddresses {

    // A DNS name, an IPv4 address or a bracketed IPv6 address, then a port.
    private static final Pattern HOST_PORT =
            Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)" + ":(\\d{1,5})");

    private ExpertAddresses() {}

    /**
     * Reads {@code host:port}, a YAML list of them, or the same list as one text joined by commas.
     *
     * @return the address, or the replicas' addresses joined by commas
     */
    static String check(ManifestFields fields, String key) {
        JsonNode value = fields.get(key);
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

    /** The addresses an entry's {@code address} holds: one, or one per replica. */
    static List<String> split(String address) {
        return Arrays.asList(address.split(","));
    }

    private static String checkOne(ManifestFields fields, String key, String address) {
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
