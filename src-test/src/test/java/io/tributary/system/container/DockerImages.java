package io.tributary.system.container;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import org.testcontainers.DockerClientFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Images built from the repository's Dockerfile as the README builds them, {@code docker build --target
 * from-host-jar .} after {@code mvn package}: the repository is the build context, filtered by its
 * {@code .dockerignore}. The classic builder does the work, as with {@code DOCKER_BUILDKIT=0}.
 *
 * <p>The runtime base is {@code TRIBUTARY_TEST_BASE_IMAGE} when set (CI makes a local Debian JRE image: no registry
 * is reachable there), else the Dockerfile's default, which the daemon pulls.
 */
final class DockerImages {

    static final Path REPO =
            Path.of(System.getProperty("tributary.repo.root")).toAbsolutePath().normalize();
    static final Path SERVER_JAR =
            Path.of(System.getProperty("tributary.server.jar")).toAbsolutePath().normalize();
    static final String TAG = "tributary:system-test";

    private static boolean built;

    private DockerImages() {}

    /** The server image, built once per test run. Fails (never skips) when no Docker daemon answers. */
    static synchronized String server() {
        if (!built) {
            if (!Files.isRegularFile(SERVER_JAR)) {
                throw new IllegalStateException("server jar not built: " + SERVER_JAR);
            }
            build(REPO, "from-host-jar", TAG);
            built = true;
        }
        return TAG;
    }

    /** Builds {@code target} of the Dockerfile in {@code context} (which holds it and its .dockerignore). */
    static void build(Path context, String target, String tag) {
        DockerClient docker = client(); // no Docker daemon: fail here, with Testcontainers' own explanation
        String base = baseImage();
        long started = System.nanoTime();
        try {
            docker.buildImageCmd()
                    .withBaseDirectory(context.toFile())
                    .withDockerfile(context.resolve("Dockerfile").toFile())
                    .withTarget(target)
                    .withBuildArg("RUNTIME_IMAGE", base)
                    .withTags(Set.of(tag))
                    .exec(new BuildImageResultCallback())
                    .awaitImageId();
        } catch (RuntimeException e) {
            throw new IllegalStateException(
                    "docker build --target " + target + " on " + base + " failed: " + rootMessage(e) + " (without a"
                            + " registry, set TRIBUTARY_TEST_BASE_IMAGE to a local JRE image: .ci/prepare-docker.sh makes one)",
                    e);
        }
        System.out.printf(
                "built %s (--target %s, on %s) in %d s%n",
                tag, target, base, (System.nanoTime() - started) / 1_000_000_000L);
    }

    /** The daemon's own words (a full disk, a missing base image), which a test report's summary line then shows. */
    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return String.valueOf(root.getMessage()).strip();
    }

    static String baseImage() {
        String base = System.getenv("TRIBUTARY_TEST_BASE_IMAGE");
        return base == null || base.isBlank() ? "eclipse-temurin:17-jre" : base;
    }

    /** The image's file system layers, bottom first. */
    static List<String> layers(String tag) {
        return client().inspectImageCmd(tag).exec().getRootFS().getLayers();
    }

    static void removeIfPresent(String tag) {
        try {
            client().removeImageCmd(tag).withForce(true).exec();
        } catch (NotFoundException absent) {
            // never built
        }
    }

    static DockerClient client() {
        return DockerClientFactory.instance().client();
    }
}
