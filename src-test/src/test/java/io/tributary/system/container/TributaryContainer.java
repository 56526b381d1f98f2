package io.tributary.system.container;

import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The server image run as the README runs it: read-only root file system, a memory limit, {@code /tmp} on tmpfs,
 * the caches in the image's volume; ready when Docker reports the image's HEALTHCHECK healthy.
 */
final class TributaryContainer extends GenericContainer<TributaryContainer> {

    static final long MEMORY_LIMIT = 2L * 1024 * 1024 * 1024;
    static final int PORT = 8080;

    TributaryContainer(String image) {
        super(DockerImageName.parse(image));
        withExposedPorts(PORT);
        withTmpFs(Map.of("/tmp", "rw,size=256m"));
        withCreateContainerCmdModifier(
                create -> create.getHostConfig().withReadonlyRootfs(true).withMemory(MEMORY_LIMIT));
        waitingFor(Wait.forHealthcheck().withStartupTimeout(Duration.ofMinutes(3)));
    }

    /** Serves the mixture of {@code manifest} (and the checkpoints beside it), bind-mounted read-only. */
    TributaryContainer withMixture(Path manifest) {
        return withFileSystemBind(manifest.getParent().toString(), "/etc/tributary/mixture", BindMode.READ_ONLY)
                .withEnv("TRIBUTARY_MIXTURE", "/etc/tributary/mixture/" + manifest.getFileName());
    }

    /**
     * The image as an expert server ({@code TRIBUTARY_ROLE=expert}) of the mixture of {@code manifest}, reachable on
     * {@code network} as {@code alias}.
     */
    static TributaryContainer expertServer(String image, Network network, String alias, Path manifest) {
        return new TributaryContainer(image)
                .withMixture(manifest)
                .withNetwork(network)
                .withNetworkAliases(alias)
                .withEnv("TRIBUTARY_ROLE", "expert");
    }

    URI uri(String path) {
        return URI.create("http://" + getHost() + ":" + getMappedPort(PORT) + path);
    }

    /** Sends a signal to the server process, as {@code docker kill --signal} does. */
    void signal(String signal) {
        DockerImages.client()
                .killContainerCmd(getContainerId())
                .withSignal(signal)
                .exec();
    }

    /** Docker's view of the container's state, refreshed. */
    com.github.dockerjava.api.command.InspectContainerResponse.ContainerState state() {
        return DockerImages.client()
                .inspectContainerCmd(getContainerId())
                .exec()
                .getState();
    }
}
