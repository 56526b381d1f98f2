package io.tributary.system.chart;

import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Helm chart, rendered offline as the README installs it (default values, {@code helm/examples/gpu.yaml},
 * {@code helm/examples/multi-replica.yaml}); every rendered object is checked against the Kubernetes schemas.
 */
class HelmChartTest {

    private static final Path REPO = Path.of(System.getProperty("tributary.repo.root")).toAbsolutePath().normalize();
    private static final Path CHART = REPO.resolve("helm/tributary");
    private static final Path EXAMPLES = REPO.resolve("helm/examples");

    private static KubernetesSchema schema;

    @BeforeAll
    static void validator() {
        schema = new KubernetesSchema(REPO.resolve("src-test/k8s-schema"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "gpu.yaml", "multi-replica.yaml"})
    void chartPassesStrictLint(String example, @TempDir Path scratch) throws Exception {
        LintResult lint = ChartLint.lint(CHART, example.isEmpty() ? null : EXAMPLES.resolve(example), scratch);
        assertThat(lint.isFailed()).as("%s", lint.getMessages()).isFalse();
    }

    @Test
    void defaultValuesServeTheEmbeddedMixtureOnOneHardenedCpuPod() throws Exception {
        ChartRendering chart = renderValid(null, c -> c.set("image.repository", "registry.example.com/tributary"));

        assertThat(chart.kinds()).containsExactly("Deployment", "PodDisruptionBudget", "Service");
        JsonNode pod = chart.the("Deployment").at("/spec/template/spec");
        assertThat(chart.the("Deployment").at("/spec/replicas").asInt()).isEqualTo(1);
        assertThat(chart.serverContainer().get("image").asString()).isEqualTo("registry.example.com/tributary:0.1.0");
        assertThat(chart.serverEnv()).doesNotContainKeys("TRIBUTARY_MIXTURE", "TRIBUTARY_ENGINE_DEVICE");
        assertThat(chart.serverContainer().at("/resources/limits").has("nvidia.com/gpu")).isFalse();

        // Non-root, read-only root, no capabilities; the paths the server writes are volumes.
        assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.at("/securityContext/runAsUser").asInt()).isEqualTo(10001);
        JsonNode container = chart.serverContainer();
        assertThat(container.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(container.at("/securityContext/allowPrivilegeEscalation").asBoolean()).isFalse();
        assertThat(container.at("/securityContext/capabilities/drop/0").asString()).isEqualTo("ALL");
        assertThat(mountPaths(container)).contains("/var/cache/tributary", "/tmp");

        // Probes on the actuator's health groups.
        assertThat(container.at("/startupProbe/httpGet/path").asString()).isEqualTo("/actuator/health/liveness");
        assertThat(container.at("/livenessProbe/httpGet/path").asString()).isEqualTo("/actuator/health/liveness");
        assertThat(container.at("/readinessProbe/httpGet/path").asString()).isEqualTo("/actuator/health/readiness");

        // The kubelet waits longer than the server drains.
        assertThat(chart.serverEnv()).containsEntry("SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE", "60s")
                .containsEntry("TRIBUTARY_SHUTDOWN_DRAINTIMEOUT", "60s");
        assertThat(pod.at("/terminationGracePeriodSeconds").asInt()).isEqualTo(5 + 60 + 10);

        // The Service and the disruption budget select exactly the Deployment's pods.
        JsonNode podLabels = chart.the("Deployment").at("/spec/template/metadata/labels");
        assertThat(chart.the("Service").at("/spec/selector")).isEqualTo(chart.the("Deployment").at("/spec/selector/matchLabels"));
        assertThat(containsAll(podLabels, chart.the("Service").at("/spec/selector"))).isTrue();
        assertThat(containsAll(podLabels, chart.the("PodDisruptionBudget").at("/spec/selector/matchLabels"))).isTrue();
    }

    @Test
    void gpuExampleAsksForAGpuAndRunsTheEngineOnIt() throws Exception {
        ChartRendering chart = renderValid(EXAMPLES.resolve("gpu.yaml"));

        assertThat(chart.kinds()).containsExactly("ConfigMap", "Deployment", "PodDisruptionBudget", "Service");
        JsonNode container = chart.serverContainer();
        assertThat(container.at("/resources/limits/nvidia.com~1gpu").asInt()).isEqualTo(1);
        assertThat(container.at("/resources/limits/memory").asString()).isEqualTo("16Gi");
        assertThat(chart.serverEnv()).containsEntry("TRIBUTARY_ENGINE_DEVICE", "cuda:0")
                .containsEntry("TRIBUTARY_ENGINE_PRECISION", "fp16");
        JsonNode pod = chart.the("Deployment").at("/spec/template/spec");
        assertThat(pod.at("/tolerations/0/key").asString()).isEqualTo("nvidia.com/gpu");
        assertThat(pod.at("/terminationGracePeriodSeconds").asInt()).isEqualTo(5 + 120 + 10);

        // The manifest from the values, as a ConfigMap mounted where TRIBUTARY_MIXTURE points.
        JsonNode values = new YAMLMapper().readTree(EXAMPLES.resolve("gpu.yaml").toFile());
        JsonNode manifest = new YAMLMapper().readTree(chart.the("ConfigMap").at("/data/mixture.yaml").asString());
        assertThat(manifest).isEqualTo(values.at("/mixture/manifest"));
        assertThat(chart.serverEnv()).containsEntry("TRIBUTARY_MIXTURE", "/etc/tributary/mixture.yaml");
        assertThat(mountPaths(container)).contains("/etc/tributary", "/models");
        assertThat(volume(pod, "mixture").at("/configMap/name").asString())
                .isEqualTo(chart.the("ConfigMap").at("/metadata/name").asString());
        assertThat(volume(pod, "checkpoints").at("/persistentVolumeClaim/claimName").asString())
                .isEqualTo("tributary-checkpoints");
        assertThat(volume(pod, "checkpoints").at("/persistentVolumeClaim/readOnly").asBoolean()).isTrue();
    }

    @Test
    void multiReplicaExampleScalesWithAnAutoscalerAndIsScraped() throws Exception {
        ChartRendering chart = renderValid(EXAMPLES.resolve("multi-replica.yaml"));

        assertThat(chart.kinds()).containsExactly("ConfigMap", "Deployment", "HorizontalPodAutoscaler",
                "PodDisruptionBudget", "Service", "ServiceMonitor");
        JsonNode deployment = chart.the("Deployment");
        // The autoscaler owns the replica count; a fixed one would fight it on every upgrade.
        assertThat(deployment.at("/spec").has("replicas")).isFalse();
        JsonNode hpa = chart.the("HorizontalPodAutoscaler").get("spec");
        assertThat(hpa.at("/scaleTargetRef/name").asString()).isEqualTo(deployment.at("/metadata/name").asString());
        assertThat(hpa.get("minReplicas").asInt()).isEqualTo(3);
        assertThat(hpa.get("maxReplicas").asInt()).isEqualTo(8);
        assertThat(chart.the("PodDisruptionBudget").at("/spec/minAvailable").asInt()).isEqualTo(2);
        assertThat(chart.the("PodDisruptionBudget").at("/spec").has("maxUnavailable")).isFalse();

        JsonNode monitor = chart.the("ServiceMonitor").get("spec");
        JsonNode service = chart.the("Service");
        assertThat(containsAll(service.at("/metadata/labels"), monitor.at("/selector/matchLabels"))).isTrue();
        assertThat(monitor.at("/endpoints/0/port").asString()).isEqualTo(service.at("/spec/ports/0/name").asString());
        assertThat(monitor.at("/endpoints/0/path").asString()).isEqualTo("/actuator/prometheus");

        JsonNode pod = deployment.at("/spec/template/spec");
        assertThat(volume(pod, "checkpoints").at("/hostPath/path").asString()).isEqualTo("/srv/tributary/models");
        assertThat(chart.serverEnv()).containsEntry("TRIBUTARY_ENGINE_THREADS", "2")
                .doesNotContainKey("TRIBUTARY_ENGINE_DEVICE");
    }

    @Test
    void valuesSchemaRefusesMistakes() {
        assertRefused(c -> c.set("server.replica", 2), "replica");                 // misspelt key
        assertRefused(c -> c.set("server.gpu", -1), "gpu");
        assertRefused(c -> c.set("server.engine.device", "gpu0"), "device");
        assertRefused(c -> c.set("checkpoints.type", "persistentVolumeClaim"), "claimName");
        assertRefused(c -> c.set("experts[0].name", "cooking"), "experts");        // reserved, not served yet
    }

    @Test
    void theSchemaCheckRejectsBrokenObjects() throws Exception {
        // The validation above must be able to fail: a wrong type and an unknown field are both caught.
        ChartRendering chart = ChartRendering.render(CHART, null, UnaryOperator.identity());
        ObjectNode wrongType = (ObjectNode) chart.the("Deployment").deepCopy();
        ((ObjectNode) wrongType.get("spec")).put("replicas", "three");
        ObjectNode unknownField = (ObjectNode) chart.the("Deployment").deepCopy();
        ((ObjectNode) unknownField.at("/spec/template/spec/containers/0/readinessProbe/httpGet")).put("pathh", "/x");

        List<KubernetesSchema.Report> reports = schema.validate(List.of(wrongType, unknownField));

        assertThat(reports.get(0).errors()).anySatisfy(e -> assertThat(e).contains("replicas", "integer"));
        assertThat(reports.get(1).errors()).containsExactly(
                "data.spec.template.spec.containers.0.readinessProbe.httpGet.pathh is not a field of the schema");
    }

    private static ChartRendering renderValid(Path valuesFile) throws Exception {
        return renderValid(valuesFile, UnaryOperator.identity());
    }

    private static ChartRendering renderValid(Path valuesFile, UnaryOperator<TemplateCommand> options)
            throws Exception {
        ChartRendering chart = ChartRendering.render(CHART, valuesFile, options);
        List<KubernetesSchema.Report> reports = schema.validate(chart.objects());
        assertThat(reports).allSatisfy(report -> assertThat(report.errors()).as(report.toString()).isEmpty());
        return chart;
    }

    private static void assertRefused(UnaryOperator<TemplateCommand> values, String mention) {
        assertThatThrownBy(() -> ChartRendering.render(CHART, null, values))
                .hasMessageContaining("don't meet the specifications of the schema").hasMessageContaining(mention);
    }

    private static List<String> mountPaths(JsonNode container) {
        return container.get("volumeMounts").valueStream().map(m -> m.get("mountPath").asString()).toList();
    }

    private static JsonNode volume(JsonNode pod, String name) {
        return pod.get("volumes").valueStream().filter(v -> v.get("name").asString().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name + " in " + pod.get("volumes")));
    }

    private static boolean containsAll(JsonNode labels, JsonNode selector) {
        return selector.properties().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }
}
