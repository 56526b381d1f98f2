package io.tributary.server;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Serves a decentralized mixture of expert models over HTTP. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class TributaryApplication {

    public static void main(String[] args) {
        // Everything the engine needs ships in the jar: a download attempt must fail fast, never hang.
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        // Replicas found by name (dns:///) change as pods come and go: keep a looked-up address for seconds, not the
        // JVM's default 30 s, unless the operator set the cache's lifetime.
        if (java.security.Security.getProperty("networkaddress.cache.ttl") == null
                && System.getProperty("sun.net.inetaddr.ttl") == null) {
            java.security.Security.setProperty("networkaddress.cache.ttl", "5");
        }
        SpringApplication.run(TributaryApplication.class, args);
    }
}
