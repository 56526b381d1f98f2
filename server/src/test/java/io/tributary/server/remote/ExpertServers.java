package io.tributary.server.remote;

import io.tributary.remote.host.ExpertHostServer;
import io.tributary.remote.host.HostedExpert;
import io.tributary.routing.Expert;

import java.time.Duration;
import java.util.List;

/** Expert servers in the test's process, for gateways to call over loopback. */
final class ExpertServers {

    private ExpertServers() {}

    /** Serves one expert on {@code port} (0: a free one). */
    static ExpertHostServer serve(HostedExpert expert, int port) {
        return new ExpertHostServer(
                        List.of(expert), new ExpertHostServer.Settings(port, Duration.ofMinutes(1), 2), Thread::new)
                .start();
    }

    /** The same hosted checkpoint, run by another expert object (one that fails on demand, say). */
    static HostedExpert withExpert(HostedExpert hosted, Expert expert) {
        return new HostedExpert(expert, hosted.imagePlaceholder(), hosted.eosTokenIds(), hosted.tokenizerFiles());
    }
}
