package io.tributary.server.startup;

import io.tributary.server.TributaryApplication;
import io.tributary.server.mixture.InvalidManifestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The whole application, started with a broken configuration, prints one readable paragraph and stops. */
@ExtendWith(OutputCaptureExtension.class)
class StartupFailureReportTest {

    @TempDir
    Path dir;

    private static Throwable start(String... args) {
        // The port as an argument: application.yml's server.port would win over a default property.
        return catchThrowable(() -> new SpringApplicationBuilder(TributaryApplication.class)
                .properties("spring.main.banner-mode=off")
                .run(Stream.concat(Stream.of("--server.port=0"), Stream.of(args))
                        .toArray(String[]::new)));
    }

    @Test
    void aTypoInTheRouterIsReportedWithItsKeyBeforeAnyExpertLoads(CapturedOutput output) throws Exception {
        Files.createDirectories(dir.resolve("a"));
        Files.writeString(dir.resolve("a/config.json"), "{\"architectures\": [\"LlamaForCausalLM\"]}");
        Files.writeString(dir.resolve("a/tokenizer.json"), "{}");
        Files.write(dir.resolve("a/model.safetensors"), new byte[0]); // loading it would fail differently
        Path manifest = Files.writeString(
                dir.resolve("mixture.yaml"),
                "name: m\nexperts:\n  - name: a\n    path: a\nrouter:\n  mode: soft\n  tempreature: 2\n");

        Throwable failure = start("--tributary.mixture=" + manifest);

        assertThat(failure).hasRootCauseInstanceOf(InvalidManifestException.class);
        assertThat(output.getOut())
                .contains(
                        "APPLICATION FAILED TO START",
                        "The mixture manifest " + manifest
                                + " cannot be served at router.tempreature: unknown key; the "
                                + "known keys in router are mode, weights, temperature, top_k, priors, centroids, classifier, "
                                + "feature_extractor, fine_to_coarse, feature_normalization (did you mean 'temperature'?).",
                        "Fix router.tempreature in " + manifest)
                .doesNotContain("loaded expert");
    }

    @Test
    void aMissingCheckpointDirectoryIsReportedWithItsKey(CapturedOutput output) throws Exception {
        Path manifest = Files.writeString(
                dir.resolve("mixture.yaml"), "name: m\nexperts:\n  - name: a\n    path: /models/absent\n");

        start("--tributary.mixture=" + manifest);

        assertThat(output.getOut())
                .contains(
                        "cannot be served at experts[0].path: checkpoint directory " + "/models/absent does not exist.",
                        "Fix experts[0].path in " + manifest);
    }

    @Test
    void aBadPropertyValueIsReportedWithTheSettingAndItsAllowedForm(CapturedOutput output) {
        start("--tributary.engine.device=gpu", "--tributary.cache-dir=" + dir);

        assertThat(output.getOut())
                .contains(
                        "APPLICATION FAILED TO START",
                        "tributary.engine.device",
                        "must be cpu or cuda:N (e.g. cuda:0)");
    }

    @Test
    void aGpuDeviceWithoutACudaBuildSaysWhatToInstallBeforeAnyExpertLoads(CapturedOutput output) {
        Throwable failure = start("--tributary.engine.device=cuda:0", "--tributary.cache-dir=" + dir);

        assumeTrue(failure != null, "a CUDA build of PyTorch and a GPU are present: nothing to refuse");
        assertThat(output.getOut())
                .contains(
                        "The configured device tributary.engine.device=cuda:0 cannot be used",
                        "PYTORCH_LIBRARY_PATH",
                        "PYTORCH_FLAVOR")
                .doesNotContain("loaded expert");
    }

    @Test
    void weightsTheSettingsCannotGiveAreRefusedInOneParagraphBeforeAnyExpertLoads(CapturedOutput output) {
        start(
                "--tributary.engine.precision=fp16",
                "--tributary.engine.quantization=int8",
                "--tributary.cache-dir=" + dir);

        assertThat(output.getOut())
                .contains(
                        "APPLICATION FAILED TO START",
                        "tributary.engine.quantization",
                        "int8 and int4 weights take float32 activations")
                .doesNotContain("loaded expert");
    }

    @Test
    void anInt4GroupTheKernelCannotTakeIsRefused(CapturedOutput output) {
        start(
                "--tributary.engine.quantization=int4",
                "--tributary.engine.group-size=48",
                "--tributary.cache-dir=" + dir);

        assertThat(output.getOut())
                .contains("tributary.engine.quantization", "the int4 group size must be 32, 64, 128 or 256, got 48");
    }
}
