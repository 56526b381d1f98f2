package io.tributary.server.startup;

import io.tributary.model.LoadOptions;
import io.tributary.model.ModelLoadException;
import io.tributary.model.NativeTarget;
import io.tributary.model.Precision;
import io.tributary.model.UnsupportedDeviceException;
import io.tributary.model.WeightLoading;
import io.tributary.server.config.TributaryProperties;
import io.tributary.server.mixture.InvalidManifestException;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.diagnostics.FailureAnalysis;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Each of the server's own start-up failures becomes a paragraph saying what failed, where, and what to do. */
class StartupFailureAnalyzerTest {

    private final StartupFailureAnalyzer analyzer = new StartupFailureAnalyzer();

    @Test
    void aManifestMistakeNamesTheFileTheKeyAndTheFix() {
        Path file = Path.of("/models/mixture.yaml");
        Throwable failure = new BeanCreationException(
                "servedModel",
                "Factory method threw",
                new InvalidManifestException(
                        file, "router.temperature", "expected a number greater than 0, got " + "the number -1"));

        FailureAnalysis analysis = analyzer.analyze(failure);

        assertThat(analysis.getDescription())
                .isEqualTo("The mixture manifest /models/mixture.yaml cannot be "
                        + "served at router.temperature: expected a number greater than 0, got the number -1. Nothing was "
                        + "loaded: the whole manifest, its checkpoints' configuration files and the router's artefacts are "
                        + "checked before any expert's weights.");
        assertThat(analysis.getAction())
                .startsWith("Fix router.temperature in /models/mixture.yaml")
                .contains("tributary.mixture (environment variable TRIBUTARY_MIXTURE)");
        assertThat(analysis.getCause()).isInstanceOf(InvalidManifestException.class);
    }

    @Test
    void aMissingManifestSaysWhichSettingToChange() {
        FailureAnalysis analysis =
                analyzer.analyze(new InvalidManifestException(Path.of("/nowhere.yaml"), null, "no such file"));
        assertThat(analysis.getDescription()).contains("/nowhere.yaml cannot be served: no such file");
        assertThat(analysis.getAction())
                .startsWith("Set tributary.mixture (environment variable TRIBUTARY_MIXTURE)"
                        + " to the path of an existing manifest");
    }

    @Test
    void aGpuDeviceOnThisCpuBuildSaysWhatToInstall() {
        // The real check against the real (CPU-only) PyTorch library of this build.
        LoadOptions gpu = new LoadOptions("cuda:0", Precision.FP32, WeightLoading.MMAP);
        Throwable failure = catchThrowable(() -> NativeTarget.requireDevice(gpu));
        assumeTrue(failure != null, "a CUDA build of PyTorch and a GPU are present: nothing to refuse");
        assertThat(failure).isInstanceOf(UnsupportedDeviceException.class);

        FailureAnalysis analysis = analyzer.analyze(new BeanCreationException("servedModel", "failed", failure));

        assertThat(analysis.getDescription())
                .startsWith("The configured device tributary.engine.device=cuda:0 "
                        + "cannot be used: the PyTorch library loaded (libtorch 2.7.1 from ")
                .contains("is a CPU-only build");
        assertThat(analysis.getAction())
                .contains(
                        "PYTORCH_LIBRARY_PATH",
                        "PYTORCH_FLAVOR",
                        "PYTORCH_VERSION=2.7.1",
                        "ai.djl.pytorch:pytorch-jni 2.7.1-0.36.0",
                        "pytorch-native-cuNNN",
                        "tributary.engine.device=cpu");
    }

    @Test
    void aRequestBodyLimitTooSmallForTheOtherLimitsNamesThemAll() {
        Throwable failure = catchThrowable(() -> new Binder(new MapConfigurationPropertySource(
                        Map.of("tributary.cache-dir", "/tmp/cache", "tributary.limits.max-request-bytes", "1MB")))
                .bind("tributary", TributaryProperties.class));

        FailureAnalysis analysis = analyzer.analyze(failure);

        assertThat(analysis.getDescription())
                .startsWith("The setting tributary.limits.max-request-bytes: 1048576 "
                        + "bytes is less than a request within the other limits may need")
                .contains(
                        "tributary.limits.max-images",
                        "tributary.limits.max-image-bytes",
                        "tributary.limits.max-input-chars");
        assertThat(analysis.getAction()).contains("leave it unset");
    }

    @Test
    void aBrokenCheckpointOutsideTheManifestChecksIsStillExplained() {
        FailureAnalysis analysis = analyzer.analyze(new IllegalStateException(
                "wrapped", new ModelLoadException("/models/a/model.safetensors: missing tensor 'lm_head.weight'")));
        assertThat(analysis.getDescription()).contains("missing tensor 'lm_head.weight'");
    }

    @Test
    void otherFailuresAreLeftToSpringBoot() {
        assertThat(analyzer.analyze(new IllegalStateException("port in use"))).isNull();
    }
}
