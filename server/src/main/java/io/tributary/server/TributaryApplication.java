package io.tributary.server;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Serves a decentralized mixture of expert models over HTTP. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class TributaryApplication {

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("router-tools")) { // the same jar makes the router's artefacts
            io.tributary.server.tools.RouterTools.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        // Everything the engine needs ships in the jar: a download attempt must fail fast, never hang.
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        SpringApplication.run(TributaryApplication.class, args);
    }
}
