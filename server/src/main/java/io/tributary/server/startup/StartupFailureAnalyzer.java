package io.tributary.server.startup;

import io.tributary.model.ModelLoadException;
import io.tributary.model.UnsupportedDeviceException;
import io.tributary.server.config.InvalidSettingException;
import io.tributary.server.mixture.InvalidManifestException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Turns the server's own start-up failures into one readable paragraph (what failed, where, what to do) in place
 * of a stack trace through the framework: a manifest mistake, an unusable device, a setting that cannot work, a
 * checkpoint that cannot be read. Registered in {@code META-INF/spring.factories}; Spring Boot prints the analysis
 * under "APPLICATION FAILED TO START".
 */
@Order(Ordered.HIGHEST_PRECEDENCE) // before Boot's generic bind analyzer, which would only show the cause's message
public final class StartupFailureAnalyzer implements FailureAnalyzer {

    static final String MIXTURE_SETTING = "tributary.mixture (environment variable TRIBUTARY_MIXTURE)";

    @Override
    public FailureAnalysis analyze(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            FailureAnalysis analysis = analyzeOne(cause);
            if (analysis != null) {
                return analysis;
            }
        }
        return null;
    }

    private static FailureAnalysis analyzeOne(Throwable cause) {
        if (cause instanceof InvalidManifestException manifest) {
            return manifest(manifest);
        }
        if (cause instanceof UnsupportedDeviceException device) {
            return new FailureAnalysis(
                    "The configured device tributary.engine.device=" + device.device() + " cannot be used: "
                            + device.problem() + ".",
                    device.remedy() + " (tributary.engine.device=cpu).",
                    device);
        }
        if (cause instanceof InvalidSettingException setting) {
            return new FailureAnalysis("The setting " + setting.getMessage() + ".", setting.action(), setting);
        }
        if (cause instanceof ModelLoadException model) {
            return new FailureAnalysis(
                    "A checkpoint of the mixture cannot be loaded: " + model.getMessage() + ".",
                    "Check the files the message names (a complete Hugging Face checkpoint in safetensors format), "
                            + "or point " + MIXTURE_SETTING + " at a mixture whose checkpoints are complete.",
                    model);
        }
        return null;
    }

    private static FailureAnalysis manifest(InvalidManifestException e) {
        String where = e.key() == null ? "" : " at " + e.key();
        String description = "The mixture manifest " + e.file() + " cannot be served" + where + ": " + e.problem()
                + ". Nothing was loaded: the whole manifest, its checkpoints' configuration files and the router's "
                + "artefacts are checked before any expert's weights.";
        String action;
        if ("no such file".equals(e.problem())) {
            action = "Set " + MIXTURE_SETTING + " to the path of an existing manifest (YAML or JSON), or unset it to "
                    + "serve the embedded default mixture.";
        } else {
            action = "Fix " + (e.key() == null ? "" : e.key() + " in ") + e.file() + " (the manifest that "
                    + MIXTURE_SETTING + " names) and start the server again; the manifest's keys are described in "
                    + "the README's section \"Serving your own mixture\".";
        }
        return new FailureAnalysis(description, action, e);
    }
}
