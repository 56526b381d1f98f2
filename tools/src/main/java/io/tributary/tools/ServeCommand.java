package io.tributary.tools;

import io.tributary.server.TributaryApplication;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.concurrent.Callable;

/**
 * Serves, as the jar does with no sub-command; named, so that the help lists it and a script can say what it means.
 * The arguments are Spring Boot's and pass to it unchanged.
 */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        customSynopsis = "tributary serve [-hV] [--NAME=VALUE...]",
        description = {
            "Run the server (what the jar does with no sub-command).",
            "Every further argument passes to Spring Boot unchanged:",
            "  --server.port=9000 --tributary.mixture=mixture.yaml"
        })
final class ServeCommand implements Callable<Integer> {

    @Unmatched
    String[] springArguments = {};

    private boolean started;

    @Override
    public Integer call() {
        TributaryApplication.main(springArguments);
        started = true;
        return 0;
    }

    /** Whether the server was started: its threads then run on after the command returns. */
    boolean started() {
        return started;
    }
}
