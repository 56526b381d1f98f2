package io.tributary.system.chart;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * {@code helm lint --strict}, for the default values or with a values file. Helm's in-process lint reads only the
 * chart's own values.yaml, so a values file is merged into a copy of the chart the way {@code -f} merges it: maps
 * key by key, everything else (lists included) replaced.
 */
final class ChartLint {

    private static final YAMLMapper YAML = new YAMLMapper();

    private ChartLint() {}

    static LintResult lint(Path chart, Path valuesFile, Path scratch) throws IOException {
        if (valuesFile == null) {
            return new Helm(chart).lint().strict().call();
        }
        Path copy = scratch.resolve(chart.getFileName());
        try (Stream<Path> files = Files.walk(chart)) {
            for (Path file : files.toList()) {
                Path target = copy.resolve(chart.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
        ObjectNode values =
                (ObjectNode) YAML.readTree(chart.resolve("values.yaml").toFile());
        merge(values, (ObjectNode) YAML.readTree(valuesFile.toFile()));
        YAML.writeValue(copy.resolve("values.yaml").toFile(), values);
        return new Helm(copy).lint().strict().call();
    }

    private static void merge(ObjectNode into, ObjectNode from) {
        for (var field : from.properties()) {
            JsonNode existing = into.get(field.getKey());
            if (existing instanceof ObjectNode target && field.getValue() instanceof ObjectNode source) {
                merge(target, source);
            } else {
                into.set(field.getKey(), field.getValue());
            }
        }
    }
}
