package io.tributary.system.container;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The image holds the jar as five layers, least often changed first (server/src/layers.xml: native libraries,
 * dependencies, loader, the project's own modules, the application): a code change rebuilds only the last, and
 * pushes and pulls only that, never the ~130 MB of native PyTorch.
 */
class ImageLayersSystemTest {

    @Test
    void aChangedClassRebuildsOnlyTheApplicationLayer(@TempDir Path changedContext) throws Exception {
        String image = DockerImages.server();
        String runtimeTag = "tributary:system-test-runtime";
        String changedTag = "tributary:system-test-changed";
        // The repository's context, but for a jar with one more class file.
        for (String file : List.of("Dockerfile", ".dockerignore", "docker/healthcheck.sh")) {
            Files.createDirectories(changedContext.resolve(file).getParent());
            Files.copy(
                    DockerImages.REPO.resolve(file), changedContext.resolve(file), StandardCopyOption.COPY_ATTRIBUTES);
        }
        Path changedJar = changedContext.resolve(DockerImages.REPO.relativize(DockerImages.SERVER_JAR));
        Files.createDirectories(changedJar.getParent());
        copyWithOneMoreClassFile(DockerImages.SERVER_JAR, changedJar);
        try {
            DockerImages.build(DockerImages.REPO, "runtime", runtimeTag);
            DockerImages.build(changedContext, "from-host-jar", changedTag);

            List<String> runtime = DockerImages.layers(runtimeTag);
            List<String> original = DockerImages.layers(image);
            List<String> changed = DockerImages.layers(changedTag);

            // The jar adds five layers on top of the shared runtime stage...
            assertThat(original).startsWith(runtime.toArray(String[]::new)).hasSize(runtime.size() + 5);
            assertThat(changed).hasSameSizeAs(original);
            // ...and the changed class touched the last one only.
            assertThat(changed.subList(0, original.size() - 1)).isEqualTo(original.subList(0, original.size() - 1));
            assertThat(changed.get(changed.size() - 1)).isNotEqualTo(original.get(original.size() - 1));
        } finally {
            DockerImages.removeIfPresent(changedTag);
            DockerImages.removeIfPresent(runtimeTag);
        }
    }

    /** Copies a Spring Boot jar entry by entry (nested jars stay stored, as the loader needs), adding a class file. */
    private static void copyWithOneMoreClassFile(Path source, Path target) throws Exception {
        try (ZipFile in = new ZipFile(source.toFile());
                ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(target))) {
            for (ZipEntry entry : Collections.list(in.entries())) {
                ZipEntry copy = new ZipEntry(entry.getName());
                copy.setMethod(entry.getMethod());
                copy.setTime(entry.getTime());
                if (entry.getMethod() == ZipEntry.STORED) {
                    copy.setSize(entry.getSize());
                    copy.setCompressedSize(entry.getSize());
                    copy.setCrc(entry.getCrc());
                }
                out.putNextEntry(copy);
                in.getInputStream(entry).transferTo(out);
                out.closeEntry();
            }
            out.putNextEntry(new ZipEntry("BOOT-INF/classes/io/tributary/server/Changed.class"));
            out.write(("a stand-in for a recompiled class " + System.nanoTime()).getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
    }
}
