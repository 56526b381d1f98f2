package io.tributary.system.chart;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/** {@code helm template} of the chart, in process and offline, parsed into one JSON tree per object. */
final class ChartRendering {

    static final String RELEASE = "tributary";
    /** The Kubernetes version rendered for: the one whose schemas kubernetes-models 5.1.0 packages. */
    static final String KUBE_VERSION = "1.36.0";

    private static final YAMLMapper YAML = new YAMLMapper();

    private final List<JsonNode> objects;

    private ChartRendering(List<JsonNode> objects) {
        this.objects = objects;
    }

    /** Renders the chart as {@code helm template tributary CHART [-f VALUES]}; options add more flags. */
    static ChartRendering render(Path chart, Path valuesFile, UnaryOperator<TemplateCommand> options) {
        TemplateCommand command = new Helm(chart)
                .template()
                .withName(RELEASE)
                .withNamespace("serving")
                .withKubeVersion(KUBE_VERSION);
        if (valuesFile != null) {
            command = command.withValuesFile(valuesFile);
        }
        String manifests = options.apply(command).call();
        List<JsonNode> objects = new ArrayList<>();
        try (MappingIterator<JsonNode> documents =
                YAML.readerFor(JsonNode.class).readValues(manifests)) {
            while (documents.hasNextValue()) {
                JsonNode document = documents.nextValue();
                if (document != null && document.isObject() && !document.isEmpty()) {
                    objects.add(document);
                }
            }
        }
        return new ChartRendering(objects);
    }

    List<JsonNode> objects() {
        return objects;
    }

    List<String> kinds() {
        return objects.stream().map(o -> o.get("kind").asString()).sorted().toList();
    }

    JsonNode the(String kind) {
        List<JsonNode> matches = objects.stream()
                .filter(o -> o.get("kind").asString().equals(kind))
                .toList();
        if (matches.size() != 1) {
            throw new AssertionError("expected one " + kind + ", found " + matches.size() + " in " + kinds());
        }
        return matches.get(0);
    }

    /** Every object of a kind, in rendering order. */
    List<JsonNode> all(String kind) {
        return objects.stream()
                .filter(o -> o.get("kind").asString().equals(kind))
                .toList();
    }

    /** The object of a kind with this name. */
    JsonNode named(String kind, String name) {
        return all(kind).stream()
                .filter(o -> o.at("/metadata/name").asString().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " named " + name + " in " + kinds()));
    }

    /** The server container of the Deployment. */
    JsonNode serverContainer() {
        JsonNode containers = the("Deployment").at("/spec/template/spec/containers");
        for (JsonNode container : containers) {
            if (container.get("name").asString().equals("server")) {
                return container;
            }
        }
        throw new AssertionError("no server container in " + containers);
    }

    /** The server container's environment as name to value. */
    Map<String, String> serverEnv() {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        serverContainer()
                .get("env")
                .forEach(e -> env.put(e.get("name").asString(), e.path("value").asString()));
        return env;
    }
}
