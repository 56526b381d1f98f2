package io.tributary.system.chart;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Validates Kubernetes objects against the Kubernetes OpenAPI schemas: {@code src-test/k8s-schema/validate.mjs}
 * (kubernetes-models' compiled schemas, plus a check for fields the schemas do not know), run with Node.js.
 */
final class KubernetesSchema {

    /** One object's verdict: valid when {@code errors} is empty. */
    record Report(String apiVersion, String kind, String name, List<String> errors) {
        @Override
        public String toString() {
            return apiVersion + " " + kind + " " + name + ": " + errors;
        }
    }

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private final Path validatorDir;

    KubernetesSchema(Path validatorDir) {
        if (!Files.isDirectory(validatorDir.resolve("node_modules/kubernetes-models"))) {
            throw new IllegalStateException("kubernetes-models is not installed in " + validatorDir
                    + ": run `npm ci` there (the build does it in generate-test-resources)");
        }
        this.validatorDir = validatorDir;
    }

    List<Report> validate(List<JsonNode> objects) throws IOException, InterruptedException {
        Process node = new ProcessBuilder("node", "validate.mjs")
                .directory(validatorDir.toFile())
                .start();
        try (OutputStream in = node.getOutputStream()) {
            in.write(JSON.writeValueAsBytes(objects));
        }
        byte[] out = node.getInputStream().readAllBytes();
        String err = new String(node.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!node.waitFor(60, TimeUnit.SECONDS) || node.exitValue() != 0) {
            throw new IllegalStateException("the schema validator failed: " + err);
        }
        List<Report> reports = new ArrayList<>();
        for (JsonNode report : JSON.readTree(out)) {
            List<String> errors = new ArrayList<>();
            report.get("errors").forEach(e -> errors.add(e.asString()));
            reports.add(new Report(
                    report.get("apiVersion").asString(),
                    report.get("kind").asString(),
                    report.get("name").asString(),
                    errors));
        }
        if (reports.size() != objects.size()) {
            throw new IllegalStateException(
                    "the validator answered " + reports.size() + " reports for " + objects.size() + " objects");
        }
        return reports;
    }
}
