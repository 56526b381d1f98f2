package io.tributary.server.mixture;

import io.tributary.model.LoadOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class EmbeddedDefaultMixtureTest {

    @TempDir
    Path cache;

    @Test
    void theIndexListsEveryShippedFile() throws Exception {
        Path shipped = Path.of(EmbeddedDefaultMixture.class
                .getResource(EmbeddedDefaultMixture.RESOURCES)
                .toURI());
        List<String> onDisk;
        try (Stream<Path> files = Files.walk(shipped)) {
            onDisk = files.filter(Files::isRegularFile)
                    .map(file -> shipped.relativize(file).toString())
                    .filter(name -> !name.equals(EmbeddedDefaultMixture.INDEX))
                    .sorted()
                    .toList();
        }
        assertThat(EmbeddedDefaultMixture.files())
                .containsExactlyInAnyOrderElementsOf(onDisk)
                .doesNotHaveDuplicates();
    }

    @Test
    void firstStartCopiesTheMixtureByteForByteAndLaterStartsReuseIt() throws Exception {
        Path manifest = EmbeddedDefaultMixture.ensure(cache);

        assertThat(manifest)
                .isEqualTo(cache.resolve(EmbeddedDefaultMixture.VERSION).resolve("mixture.yaml"));
        for (String file : EmbeddedDefaultMixture.files()) {
            try (InputStream resource = resource(file)) {
                assertThat(manifest.resolveSibling(file)).as(file).hasBinaryContent(resource.readAllBytes());
            }
        }
        try (Stream<Path> left = Files.list(cache)) {
            assertThat(left).as("no staging directory left behind").containsExactly(manifest.getParent());
        }
        FileTime written = Files.getLastModifiedTime(manifest);
        assertThat(EmbeddedDefaultMixture.ensure(cache)).isEqualTo(manifest);
        assertThat(Files.getLastModifiedTime(manifest)).isEqualTo(written);
    }

    @Test
    void theManifestNamesFourImageExpertsAndEveryRouterArtefact() {
        MixtureLoader.Checked checked =
                new MixtureLoader(LoadOptions.cpu()).check(EmbeddedDefaultMixture.ensure(cache));

        assertThat(checked.manifest().experts())
                .extracting(MixtureManifest.ExpertEntry::name)
                .containsExactly("digits", "colours", "bars", "shapes");
        assertThat(checked.placeholder()).contains("<image>");
        MixtureManifest.RouterEntry router = checked.manifest().router();
        assertThat(router.mode()).isEqualTo("soft");
        assertThat(router.temperature()).isPositive();
        assertThat(List.of(router.centroids(), router.classifier(), router.featureExtractor()))
                .allSatisfy(artefact -> assertThat(artefact).isNotBlank());
    }

    private static InputStream resource(String file) {
        return EmbeddedDefaultMixture.class.getResourceAsStream(EmbeddedDefaultMixture.RESOURCES + file);
    }
}
