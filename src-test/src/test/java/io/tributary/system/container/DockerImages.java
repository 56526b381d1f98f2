package io.tributary.system.container;

import com.github.dockerjava.api.DockerClient;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Images built from the repository's Dockerfile, as the README builds them: {@code --target from-host-jar} on the
 * jar that {@code mvn package} made. The build context holds only what that target reads.
 *
 * <p>The runtime base is {@code TRIBUTARY_TEST_BASE_IMAGE} when set (CI makes a local Debian JRE image: no registry
 * is reachable there), else the Dockerfile's default, which the daemon pulls.
 */
final class DockerImages {

    static final Path REPO = Path.of(System.getProperty("tributary.repo.root")).toAbsolutePath().normalize();
    static final Path SERVER_JAR = Path.of(System.getProperty("tributary.server.jar")).toAbsolutePath().normalize();
    static final String TAG = "tributary:system-test";

    private static boolean built;

    private DockerImages() {
    }

    /** The server image, built once per test run. Fails (never skips) when no Docker daemon answers. */
    static synchronized String server() {
        if (!built) {
            build(SERVER_JAR, "from-host-jar", TAG);
            built = true;
        }
        return TAG;
    }

    /** Builds {@code target} of the Dockerfile with {@code jar} as the host-built server jar. */
    static void build(Path jar, String target, String tag) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("server jar not built: " + jar);
        }
        String base = baseImage();
        long started = System.nanoTime();
        try {
            new ImageFromDockerfile(tag, false)
                    .withFileFromPath("Dockerfile", REPO.resolve("Dockerfile"))
                    .withFileFromPath("docker/healthcheck.sh", REPO.resolve("docker/healthcheck.sh"))
                    .withFileFromPath("server/target/" + SERVER_JAR.getFileName(), jar)
                    .withTarget(target)
                    .withBuildArg("RUNTIME_IMAGE", base)
                    .get();
            System.out.printf("built %s (--target %s, on %s) in %d s%n", tag, target, base,
                    (System.nanoTime() - started) / 1_000_000_000L);
        } catch (Exception e) {
            throw new IllegalStateException("docker build --target " + target + " on " + base + " failed (without a"
                    + " registry, set TRIBUTARY_TEST_BASE_IMAGE to a local JRE image: .ci/prepare-docker.sh makes one)",
                    e);
        }
    }

    static String baseImage() {
        String base = System.getenv("TRIBUTARY_TEST_BASE_IMAGE");
        return base == null || base.isBlank() ? "eclipse-temurin:17-jre" : base;
    }

    /** The image's file system layers, bottom first. */
    static List<String> layers(String tag) {
        return client().inspectImageCmd(tag).exec().getRootFS().getLayers();
    }

    static void remove(String tag) {
        client().removeImageCmd(tag).withForce(true).exec();
    }

    static DockerClient client() {
        return DockerClientFactory.instance().client();
    }
}
