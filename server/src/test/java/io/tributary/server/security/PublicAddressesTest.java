package io.tributary.server.security;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;

class PublicAddressesTest {

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "127.0.0.1        | a loopback address",
                "127.8.9.10       | a loopback address",
                "::1              | a loopback address",
                "169.254.169.254  | a link-local address", // cloud metadata services
                "fe80::1          | a link-local address",
                "10.1.2.3         | a private address",
                "172.16.0.1       | a private address",
                "172.31.255.255   | a private address",
                "192.168.1.1      | a private address",
                "100.64.0.1       | a carrier-grade NAT address",
                "100.127.255.254  | a carrier-grade NAT address",
                "fc00::1          | a unique-local address",
                "fd12:3456::1     | a unique-local address",
                "0.0.0.0          | not a unicast address",
                "::               | not a unicast address",
                "224.0.0.1        | not a unicast address",
                "ff02::1          | not a unicast address",
                "0.1.2.3          | a reserved address",
                "255.255.255.255  | a reserved address",
                "::ffff:127.0.0.1 | a loopback address", // Java unwraps mapped IPv4
                "::ffff:10.0.0.1  | a private address",
                "::10.0.0.1       | an IPv4 address inside IPv6",
            })
    void refusesEveryAddressOfTheServersOwnNetworks(String address, String reason) throws Exception {
        assertThat(PublicAddresses.refusal(InetAddress.getByName(address))).isEqualTo(reason);
    }

    @ParameterizedTest
    @CsvSource({"8.8.8.8", "172.32.0.1", "100.128.0.1", "93.184.216.34", "2606:4700:4700::1111"})
    void acceptsPublicAddresses(String address) throws Exception {
        assertThat(PublicAddresses.refusal(InetAddress.getByName(address))).isNull();
    }
}
