package io.tributary.system.chart;

import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Helm chart, rendered offline as the README installs it (default values, {@code helm/examples/gpu.yaml},
 * {@code helm/examples/multi-replica.yaml}); every rendered object is checked against the Kubernetes schemas.
 */
class HelmChartTest {

    private static final Path REPO =
            Path.of(System.getProperty("tributary.repo.root")).toAbsolutePath().normalize();
    private static final Path CHART = REPO.resolve("helm/tributary");
    private static final Path EXAMPLES = REPO.resolve("helm/examples");

    private static KubernetesSchema schema;

    @BeforeAll
    static void validator() {
        schema = new KubernetesSchema(REPO.resolve("src-test/k8s-schema"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "gpu.yaml", "multi-replica.yaml", "remote-experts.yaml", "inference-gateway.yaml"})
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
        assertThat(chart.serverContainer().at("/resources/limits").has("nvidia.com/gpu"))
                .isFalse();

        // Non-root, read-only root, no capabilities; the paths the server writes are volumes.
        assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.at("/securityContext/runAsUser").asInt()).isEqualTo(10001);
        JsonNode container = chart.serverContainer();
        assertThat(container.at("/securityContext/readOnlyRootFilesystem").asBoolean())
                .isTrue();
        assertThat(container.at("/securityContext/allowPrivilegeEscalation").asBoolean())
                .isFalse();
        assertThat(container.at("/securityContext/capabilities/drop/0").asString())
                .isEqualTo("ALL");
        assertThat(mountPaths(container)).contains("/var/cache/tributary", "/tmp");

        // Probes on the actuator's health groups.
        assertThat(container.at("/startupProbe/httpGet/path").asString()).isEqualTo("/actuator/health/liveness");
        assertThat(container.at("/livenessProbe/httpGet/path").asString()).isEqualTo("/actuator/health/liveness");
        assertThat(container.at("/readinessProbe/httpGet/path").asString()).isEqualTo("/actuator/health/readiness");

        // The kubelet waits longer than the server drains.
        assertThat(chart.serverEnv())
                .containsEntry("SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE", "60s")
                .containsEntry("TRIBUTARY_SHUTDOWN_DRAINTIMEOUT", "60s");
        assertThat(pod.at("/terminationGracePeriodSeconds").asInt()).isEqualTo(5 + 60 + 10);

        // The Service and the disruption budget select exactly the Deployment's pods.
        JsonNode podLabels = chart.the("Deployment").at("/spec/template/metadata/labels");
        assertThat(chart.the("Service").at("/spec/selector"))
                .isEqualTo(chart.the("Deployment").at("/spec/selector/matchLabels"));
        assertThat(containsAll(podLabels, chart.the("Service").at("/spec/selector")))
                .isTrue();
        assertThat(containsAll(podLabels, chart.the("PodDisruptionBudget").at("/spec/selector/matchLabels")))
                .isTrue();
    }

    @Test
    void gpuExampleAsksForAGpuAndRunsTheEngineOnIt() throws Exception {
        ChartRendering chart = renderValid(EXAMPLES.resolve("gpu.yaml"));

        assertThat(chart.kinds()).containsExactly("ConfigMap", "Deployment", "PodDisruptionBudget", "Service");
        JsonNode container = chart.serverContainer();
        assertThat(container.at("/resources/limits/nvidia.com~1gpu").asInt()).isEqualTo(1);
        assertThat(container.at("/resources/limits/memory").asString()).isEqualTo("16Gi");
        assertThat(chart.serverEnv())
                .containsEntry("TRIBUTARY_ENGINE_DEVICE", "cuda:0")
                .containsEntry("TRIBUTARY_ENGINE_PRECISION", "fp16");
        JsonNode pod = chart.the("Deployment").at("/spec/template/spec");
        assertThat(pod.at("/tolerations/0/key").asString()).isEqualTo("nvidia.com/gpu");
        assertThat(pod.at("/terminationGracePeriodSeconds").asInt()).isEqualTo(5 + 120 + 10);

        // The manifest from the values, as a ConfigMap mounted where TRIBUTARY_MIXTURE points.
        JsonNode values = new YAMLMapper().readTree(EXAMPLES.resolve("gpu.yaml").toFile());
        JsonNode manifest = new YAMLMapper()
                .readTree(chart.the("ConfigMap").at("/data/mixture.yaml").asString());
        assertThat(manifest).isEqualTo(values.at("/mixture/manifest"));
        assertThat(chart.serverEnv()).containsEntry("TRIBUTARY_MIXTURE", "/etc/tributary/mixture.yaml");
        assertThat(mountPaths(container)).contains("/etc/tributary", "/models");
        assertThat(volume(pod, "mixture").at("/configMap/name").asString())
                .isEqualTo(chart.the("ConfigMap").at("/metadata/name").asString());
        assertThat(volume(pod, "checkpoints")
                        .at("/persistentVolumeClaim/claimName")
                        .asString())
                .isEqualTo("tributary-checkpoints");
        assertThat(volume(pod, "checkpoints")
                        .at("/persistentVolumeClaim/readOnly")
                        .asBoolean())
                .isTrue();
    }

    @Test
    void multiReplicaExampleScalesWithAnAutoscalerAndIsScraped() throws Exception {
        ChartRendering chart = renderValid(EXAMPLES.resolve("multi-replica.yaml"));

        assertThat(chart.kinds())
                .containsExactly(
                        "ConfigMap",
                        "Deployment",
                        "HorizontalPodAutoscaler",
                        "PodDisruptionBudget",
                        "Service",
                        "ServiceMonitor");
        JsonNode deployment = chart.the("Deployment");
        // The autoscaler owns the replica count; a fixed one would fight it on every upgrade.
        assertThat(deployment.at("/spec").has("replicas")).isFalse();
        JsonNode hpa = chart.the("HorizontalPodAutoscaler").get("spec");
        assertThat(hpa.at("/scaleTargetRef/name").asString())
                .isEqualTo(deployment.at("/metadata/name").asString());
        assertThat(hpa.get("minReplicas").asInt()).isEqualTo(3);
        assertThat(hpa.get("maxReplicas").asInt()).isEqualTo(8);
        assertThat(chart.the("PodDisruptionBudget").at("/spec/minAvailable").asInt())
                .isEqualTo(2);
        assertThat(chart.the("PodDisruptionBudget").at("/spec").has("maxUnavailable"))
                .isFalse();

        JsonNode monitor = chart.the("ServiceMonitor").get("spec");
        JsonNode service = chart.the("Service");
        assertThat(containsAll(service.at("/metadata/labels"), monitor.at("/selector/matchLabels")))
                .isTrue();
        assertThat(monitor.at("/endpoints/0/port").asString())
                .isEqualTo(service.at("/spec/ports/0/name").asString());
        assertThat(monitor.at("/endpoints/0/path").asString()).isEqualTo("/metrics");

        JsonNode pod = deployment.at("/spec/template/spec");
        assertThat(volume(pod, "checkpoints").at("/hostPath/path").asString()).isEqualTo("/srv/tributary/models");
        assertThat(chart.serverEnv())
                .containsEntry("TRIBUTARY_ENGINE_THREADS", "2")
                .doesNotContainKey("TRIBUTARY_ENGINE_DEVICE");
    }

    @Test
    void remoteExpertsExampleRendersTheGatewayAndOneExpertServerPerExpert() throws Exception {
        ChartRendering chart = renderValid(EXAMPLES.resolve("remote-experts.yaml"));

        assertThat(chart.kinds())
                .containsExactly(
                        "ConfigMap",
                        "ConfigMap",
                        "ConfigMap",
                        "Deployment",
                        "Deployment",
                        "Deployment",
                        "PodDisruptionBudget",
                        "PodDisruptionBudget",
                        "Service",
                        "Service",
                        "Service");
        // The gateway's manifest names each expert by its headless Service, every ready pod a replica; the router comes
        // from the values.
        JsonNode manifest = new YAMLMapper()
                .readTree(chart.named("ConfigMap", "tributary-mixture")
                        .at("/data/mixture.yaml")
                        .asString());
        assertThat(manifest.get("name").asString()).isEqualTo("two-remote-experts");
        assertThat(manifest.at("/experts/0/name").asString()).isEqualTo("cooking");
        assertThat(manifest.at("/experts/0/address").asString()).isEqualTo("dns:///tributary-expert-cooking:50051");
        assertThat(manifest.at("/experts/1/address").asString()).isEqualTo("dns:///tributary-expert-astronomy:50051");
        assertThat(manifest.at("/experts/0").has("path")).isFalse();
        assertThat(manifest.at("/router/mode").asString()).isEqualTo("uniform");

        for (String expert : List.of("cooking", "astronomy")) {
            String name = "tributary-expert-" + expert;
            JsonNode deployment = chart.named("Deployment", name);
            JsonNode pod = deployment.at("/spec/template/spec");
            JsonNode container = pod.at("/containers/0");
            Map<String, String> env = new java.util.HashMap<>();
            container
                    .get("env")
                    .forEach(e ->
                            env.put(e.get("name").asString(), e.path("value").asString()));
            assertThat(env)
                    .containsEntry("TRIBUTARY_ROLE", "expert")
                    .containsEntry("TRIBUTARY_MIXTURE", "/etc/tributary/mixture.yaml")
                    .containsEntry("TRIBUTARY_EXPERTSERVER_PORT", "50051");
            JsonNode own = new YAMLMapper()
                    .readTree(chart.named("ConfigMap", name)
                            .at("/data/mixture.yaml")
                            .asString());
            assertThat(own.at("/experts/0/path").asString()).isEqualTo("/models/" + expert);
            assertThat(volume(pod, "mixture").at("/configMap/name").asString()).isEqualTo(name);
            assertThat(volume(pod, "checkpoints")
                            .at("/persistentVolumeClaim/claimName")
                            .asString())
                    .isEqualTo("tributary-checkpoints");
            // Ready when the gRPC health service says this expert serves; hardened like the gateway.
            assertThat(container.at("/readinessProbe/grpc/port").asInt()).isEqualTo(50051);
            assertThat(container.at("/readinessProbe/grpc/service").asString()).isEqualTo(expert);
            assertThat(container.at("/livenessProbe/httpGet/path").asString()).isEqualTo("/actuator/health/liveness");
            assertThat(container.at("/securityContext/readOnlyRootFilesystem").asBoolean())
                    .isTrue();
            // Its Service selects its own pods only: not the other expert's, not the gateway's.
            JsonNode selector = chart.named("Service", name).at("/spec/selector");
            assertThat(containsAll(deployment.at("/spec/template/metadata/labels"), selector))
                    .isTrue();
            assertThat(chart.all("Deployment"))
                    .filteredOn(d -> !d.equals(deployment))
                    .noneMatch(d -> containsAll(d.at("/spec/template/metadata/labels"), selector));
            assertThat(chart.named("Service", name).at("/spec/ports/0/port").asInt())
                    .isEqualTo(50051);
            // Headless, so that its name resolves to every ready pod: each one a replica the gateway knows.
            assertThat(chart.named("Service", name).at("/spec/clusterIP").asString())
                    .isEqualTo("None");
        }
        JsonNode cooking = chart.named("Deployment", "tributary-expert-cooking").at("/spec/template/spec/containers/0");
        JsonNode astronomy =
                chart.named("Deployment", "tributary-expert-astronomy").at("/spec/template/spec/containers/0");
        assertThat(chart.named("Deployment", "tributary-expert-cooking")
                        .at("/spec/replicas")
                        .asInt())
                .isEqualTo(2);
        // Cooking's two replicas are evicted one at a time; astronomy's one pod has no budget to keep.
        JsonNode budget = chart.named("PodDisruptionBudget", "tributary-expert-cooking");
        assertThat(budget.at("/spec/maxUnavailable").asInt()).isOne();
        assertThat(budget.at("/spec/selector/matchLabels"))
                .isEqualTo(chart.named("Service", "tributary-expert-cooking").at("/spec/selector"));
        assertThat(cooking.at("/resources/limits/memory").asString()).isEqualTo("8Gi");
        assertThat(cooking.at("/resources/limits").has("nvidia.com/gpu")).isFalse();
        assertThat(astronomy.at("/resources/limits/nvidia.com~1gpu").asInt()).isEqualTo(1);
        assertThat(astronomy.get("env").toString()).contains("cuda:0", "fp16");
        assertThat(chart.named("Deployment", "tributary")
                        .at("/spec/template/spec/containers/0/resources/limits/memory")
                        .asString())
                .isEqualTo("2Gi");
        // The gateway's own selector does not take the experts' pods.
        JsonNode gatewayService = chart.named("Service", "tributary").at("/spec/selector");
        assertThat(chart.all("Deployment"))
                .filteredOn(d -> !d.at("/metadata/name").asString().equals("tributary"))
                .noneMatch(d -> containsAll(d.at("/spec/template/metadata/labels"), gatewayService));
    }

    @Test
    void fourRemoteExpertsRenderFourExpertServersAndValidate() throws Exception {
        ChartRendering chart = renderValid(null, c -> {
            TemplateCommand command = c.set("checkpoints.type", "hostPath").set("checkpoints.hostPath.path", "/srv");
            for (int k = 0; k < 4; k++) {
                command =
                        command.set("experts[" + k + "].name", "e" + k).set("experts[" + k + "].path", "/models/e" + k);
            }
            return command;
        });

        assertThat(chart.all("Deployment")).hasSize(5);
        assertThat(chart.all("Service")).hasSize(5);
        JsonNode manifest = new YAMLMapper()
                .readTree(chart.named("ConfigMap", "tributary-mixture")
                        .at("/data/mixture.yaml")
                        .asString());
        assertThat(manifest.get("experts")).hasSize(4);
        assertThat(manifest.at("/experts/3/address").asString()).isEqualTo("dns:///tributary-expert-e3:50051");
    }

    @Test
    void theDashboardShipsForGrafanasSidecarWhenAskedFor() throws Exception {
        assertThat(renderValid(null).all("ConfigMap"))
                .noneSatisfy(
                        map -> assertThat(map.at("/metadata/name").asString()).endsWith("-dashboard"));

        ChartRendering chart = renderValid(null, c -> c.set("metrics.grafanaDashboard.enabled", true));

        JsonNode map = chart.named("ConfigMap", "tributary-dashboard");
        assertThat(map.at("/metadata/labels/grafana_dashboard").asString()).isEqualTo("1");
        JsonNode dashboard =
                new ObjectMapper().readTree(map.at("/data/tributary.json").asString());
        assertThat(dashboard.get("uid").asString()).isEqualTo("tributary");
        assertThat(dashboard.get("panels"))
                .isNotEmpty()
                .allSatisfy(panel -> assertThat(panel.get("targets")).isNotEmpty());
    }

    @Test
    void theInferenceGatewayExampleRendersAPoolOverTheGatewayPodsAndItsEndpointPicker() throws Exception {
        ChartRendering chart = renderValid(EXAMPLES.resolve("inference-gateway.yaml"));

        JsonNode pool = chart.the("InferencePool");
        JsonNode gateway = chart.named("Deployment", "tributary");
        JsonNode picker = chart.named("Deployment", "tributary-epp");
        JsonNode selector = pool.at("/spec/selector/matchLabels");
        assertThat(selector).isEqualTo(gateway.at("/spec/selector/matchLabels"));
        assertThat(containsAll(gateway.at("/spec/template/metadata/labels"), selector))
                .isTrue();
        assertThat(containsAll(picker.at("/spec/template/metadata/labels"), selector))
                .as("the picker is not in its own pool")
                .isFalse();
        assertThat(pool.at("/spec/targetPorts/0/number").asInt())
                .isEqualTo(gateway.at("/spec/template/spec/containers/0/ports/0/containerPort")
                        .asInt());

        // The pool names the picker's Service and its ext-proc port, which reaches the picker's gRPC port.
        JsonNode service =
                chart.named("Service", pool.at("/spec/endpointPickerRef/name").asString());
        JsonNode extProc = service.at("/spec/ports/0");
        assertThat(extProc.get("port").asInt())
                .isEqualTo(pool.at("/spec/endpointPickerRef/port/number").asInt());
        JsonNode container = picker.at("/spec/template/spec/containers/0");
        assertThat(container.get("ports"))
                .anySatisfy(port -> assertThat(port.get("name").asString())
                        .isEqualTo(extProc.get("targetPort").asString()));
        assertThat(containsAll(picker.at("/spec/template/metadata/labels"), service.at("/spec/selector")))
                .isTrue();
        List<String> args =
                container.get("args").valueStream().map(JsonNode::asString).toList();
        assertThat(args.get(args.indexOf("--pool-name") + 1))
                .isEqualTo(pool.at("/metadata/name").asString());
        assertThat(args.get(args.indexOf("--pool-namespace") + 1)).isEqualTo("serving");
        assertThat(args).noneSatisfy(arg -> assertThat(arg).endsWith("-metric")); // refused by pickers since v1.4

        // Its configuration, mounted where --config-file points, reads Tributary's gauges.
        JsonNode config = new YAMLMapper()
                .readTree(chart.named("ConfigMap", "tributary-epp")
                        .at("/data/endpoint-picker.yaml")
                        .asString());
        assertThat(args.get(args.indexOf("--config-file") + 1)).isEqualTo("/config/endpoint-picker.yaml");
        assertThat(mountPaths(container)).contains("/config");
        JsonNode engine = config.get("plugins")
                .valueStream()
                .filter(plugin -> plugin.get("type").asString().equals("core-metrics-extractor"))
                .findFirst()
                .orElseThrow()
                .at("/parameters/engineConfigs/0");
        assertThat(engine.get("queuedRequestsSpec").asString()).isEqualTo("tributary_num_requests_waiting");
        assertThat(engine.get("runningRequestsSpec").asString()).isEqualTo("tributary_num_requests_running");
        assertThat(engine.get("kvUsageSpec").asString()).isEqualTo("tributary_kv_cache_usage_perc");

        // It may watch its pool and the pods, in its namespace only.
        JsonNode binding = chart.named("RoleBinding", "tributary-epp");
        assertThat(binding.at("/subjects/0/name").asString())
                .isEqualTo(picker.at("/spec/template/spec/serviceAccountName").asString());
        assertThat(chart.named("Role", "tributary-epp").get("rules"))
                .anySatisfy(rule -> assertThat(rule.get("resources").toString()).contains("inferencepools"))
                .anySatisfy(rule -> assertThat(rule.get("resources").toString()).contains("pods"));
    }

    @Test
    void theGatewayAndEveryExpertServerExportTracesWhereTheValuesSay() throws Exception {
        assertThat(renderValid(EXAMPLES.resolve("remote-experts.yaml")).all("Deployment"))
                .allSatisfy(deployment -> assertThat(deployment.toString())
                        .doesNotContain("MANAGEMENT_OPENTELEMETRY_TRACING_EXPORT_OTLP_ENDPOINT"));

        String collector = "http://otel-collector.observability:4318/v1/traces";
        ChartRendering chart =
                renderValid(EXAMPLES.resolve("remote-experts.yaml"), c -> c.set("tracing.otlpEndpoint", collector));

        assertThat(chart.all("Deployment"))
                .hasSize(3)
                .allSatisfy(deployment -> assertThat(deployment.at("/spec/template/spec/containers/0/env"))
                        .anySatisfy(env -> {
                            assertThat(env.get("name").asString())
                                    .isEqualTo("MANAGEMENT_OPENTELEMETRY_TRACING_EXPORT_OTLP_ENDPOINT");
                            assertThat(env.get("value").asString()).isEqualTo(collector);
                        }));
        assertRefused(c -> c.set("tracing.otlpEndpoint", "collector:4318"), "otlpEndpoint");
    }

    @Test
    void aBrokenInferencePoolIsCaughtByItsSchema() throws Exception {
        ChartRendering chart =
                ChartRendering.render(CHART, EXAMPLES.resolve("inference-gateway.yaml"), UnaryOperator.identity());
        ObjectNode noPort = (ObjectNode) chart.the("InferencePool").deepCopy();
        ((ObjectNode) noPort.at("/spec/endpointPickerRef")).remove("port");
        ((ObjectNode) noPort.at("/spec/targetPorts/0")).put("number", 70_000);

        List<String> errors = schema.validate(List.of(noPort)).get(0).errors();

        assertThat(errors)
                .anySatisfy(e -> assertThat(e).contains("endpointPickerRef", "port"))
                .anySatisfy(e -> assertThat(e).contains("targetPorts.0.number"));
    }

    @Test
    void anExternalExpertsTokenIsMountedFromASecretTheManifestEntryNames() throws Exception {
        ChartRendering chart = renderValid(
                null,
                c -> c.set("mixture.manifest.name", "with-a-partner")
                        .set("mixture.manifest.experts[0].name", "law")
                        .set("mixture.manifest.experts[0].address", "law.partner.example:50051")
                        .set("mixture.manifest.experts[0].token_file", "/etc/tributary/law/token")
                        .set("server.extraVolumes[0].name", "law")
                        .set("server.extraVolumes[0].secret.secretName", "law-expert-token")
                        .set("server.extraVolumeMounts[0].name", "law")
                        .set("server.extraVolumeMounts[0].mountPath", "/etc/tributary/law")
                        .set("server.extraVolumeMounts[0].readOnly", true));

        JsonNode manifest = new YAMLMapper()
                .readTree(chart.named("ConfigMap", "tributary-mixture")
                        .at("/data/mixture.yaml")
                        .asString());
        assertThat(manifest.at("/experts/0/token_file").asString()).isEqualTo("/etc/tributary/law/token");
        JsonNode pod = chart.named("Deployment", "tributary").at("/spec/template/spec");
        assertThat(volume(pod, "law").at("/secret/secretName").asString()).isEqualTo("law-expert-token");
        assertThat(pod.at("/containers/0/volumeMounts")).anySatisfy(mount -> {
            assertThat(mount.get("name").asString()).isEqualTo("law");
            assertThat(mount.get("mountPath").asString()).isEqualTo("/etc/tributary/law");
            assertThat(mount.get("readOnly").asBoolean()).isTrue();
        });
    }

    @Test
    void valuesSchemaRefusesMistakes() {
        assertRefused(c -> c.set("server.replica", 2), "replica"); // misspelt key
        assertRefused(c -> c.set("server.gpu", -1), "gpu");
        assertRefused(c -> c.set("server.engine.device", "gpu0"), "device");
        assertRefused(c -> c.set("server.extraVolumeMounts[0].name", "law"), "mountPath");
        assertRefused(c -> c.set("checkpoints.type", "persistentVolumeClaim"), "claimName");
        assertRefused(c -> c.set("experts[0].name", "cooking"), "path"); // a remote expert needs its path
        assertRefused(c -> c.set("experts[0].name", "Cooking").set("experts[0].path", "/m"), "name");
        assertRefused(
                c -> c.set("inferencePool.enabled", true).set("inferencePool.endpointPicker.failureMode", "Open"),
                "failureMode");
        assertThatThrownBy(() -> ChartRendering.render(
                        CHART,
                        null,
                        c -> c.set("experts[0].name", "a")
                                .set("experts[0].path", "/m/a")
                                .set("mixture.manifest.experts[0].name", "b")
                                .set("mixture.manifest.experts[0].path", "/m/b")))
                .hasMessageContaining("give the experts either in mixture.manifest.experts");
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
        assertThat(reports.get(1).errors())
                .containsExactly(
                        "data.spec.template.spec.containers.0.readinessProbe.httpGet.pathh is not a field of the schema");
    }

    private static ChartRendering renderValid(Path valuesFile) throws Exception {
        return renderValid(valuesFile, UnaryOperator.identity());
    }

    private static ChartRendering renderValid(Path valuesFile, UnaryOperator<TemplateCommand> options)
            throws Exception {
        ChartRendering chart = ChartRendering.render(CHART, valuesFile, options);
        List<KubernetesSchema.Report> reports = schema.validate(chart.objects());
        assertThat(reports)
                .allSatisfy(report ->
                        assertThat(report.errors()).as(report.toString()).isEmpty());
        return chart;
    }

    private static void assertRefused(UnaryOperator<TemplateCommand> values, String mention) {
        assertThatThrownBy(() -> ChartRendering.render(CHART, null, values))
                .hasMessageContaining("don't meet the specifications of the schema")
                .hasMessageContaining(mention);
    }

    private static List<String> mountPaths(JsonNode container) {
        return container
                .get("volumeMounts")
                .valueStream()
                .map(m -> m.get("mountPath").asString())
                .toList();
    }

    private static JsonNode volume(JsonNode pod, String name) {
        return pod.get("volumes")
                .valueStream()
                .filter(v -> v.get("name").asString().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name + " in " + pod.get("volumes")));
    }

    private static boolean containsAll(JsonNode labels, JsonNode selector) {
        return selector.properties().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }
}
