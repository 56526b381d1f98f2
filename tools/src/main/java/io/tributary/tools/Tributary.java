package io.tributary.tools;

import io.tributary.server.TributaryApplication;
import io.tributary.tools.router.RouterTools;
import java.util.Arrays;

/**
 * The runnable jar's entry point: with no sub-command it serves (Spring Boot's own arguments pass through), and a
 * sub-command runs a tool.
 */
public final class Tributary {

    private Tributary() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("router-tools")) {
            RouterTools.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        TributaryApplication.main(args);
    }
}
