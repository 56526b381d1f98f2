package io.tributary.tools.router;

import io.tributary.model.tiny.TinyClip;
import io.tributary.model.tiny.TinyLlava;
import io.tributary.model.tiny.TinyLlavaSpec;
import io.tributary.server.HttpTestClient;
import io.tributary.server.TributaryApplication;
import io.tributary.server.mixture.ManifestReader;
import io.tributary.server.mixture.MixtureManifest;
import io.tributary.tools.router.DrawnImages.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.tributary.server.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Making a decentralized model from scratch with the router tools, then serving it: images of three kinds →
 * {@code features} → {@code cluster} (K = 3) → {@code partition} of a LLaVA dataset → one tiny expert per cluster →
 * a manifest naming the paper's {@code clustering_centroids.npy} unchanged. An unreadable image is skipped. A new image of each kind must be routed by
 * {@code hard} to the expert of the cluster its kind's training samples went to.
 */
@SpringBootTest(classes = TributaryApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class RouterToolsEndToEndTest {

    private static final int PER_KIND = 6;

    @TempDir
    static Path dir;

    /** The cluster each kind's training samples were partitioned into. */
    private static final Map<Kind, Integer> CLUSTER_OF_KIND = new HashMap<>();

    @DynamicPropertySource
    static void mixture(DynamicPropertyRegistry registry) {
        registry.add("tributary.mixture", () -> makeMixture().toString());
    }

    private static Path makeMixture() {
        try {
            TinyLlavaSpec spec = TinyLlavaSpec.forTests().withSharpWeights(true);
            TinyClip.write(dir.resolve("clip"), spec, 100, false);
            Path dataset = writeDataset();
            Path features = dir.resolve("features.safetensors");
            assertThat(RouterTools.run(
                            "features",
                            "--clip",
                            dir.resolve("clip").toString(),
                            "--dataset",
                            dataset.toString(),
                            "-o",
                            features + "," + dir.resolve("features.npz")))
                    .isZero();
            assertThat(RouterTools.run(
                            "cluster",
                            "--features",
                            features.toString(),
                            "-k",
                            "3",
                            "--seed",
                            "42",
                            "-o",
                            dir.resolve("clusters").toString()))
                    .isZero();
            Path centroids = dir.resolve("clusters").resolve("clustering_centroids.npy");
            assertThat(RouterTools.run(
                            "partition",
                            "--dataset",
                            dataset.toString(),
                            "--features",
                            dir.resolve("features.npz").toString(),
                            "--centroids",
                            centroids.toString(),
                            "-o",
                            dir.resolve("parts").toString()))
                    .isZero();
            readPartition();
            List<MixtureManifest.ExpertEntry> experts = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                TinyLlava.write(dir.resolve("expert-" + k), spec, k + 1, 100); // trained on cluster-k, in reality
                experts.add(new MixtureManifest.ExpertEntry("expert-" + k, "expert-" + k));
            }
            MixtureManifest manifest = new MixtureManifest(
                    "made-with-the-tools",
                    experts,
                    new MixtureManifest.RouterEntry(
                            "hard", null, null, null, null, "clusters/clustering_centroids.npy", null, "clip"));
            return ManifestReader.write(dir.resolve("mixture.yaml"), manifest);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theSoftTemperatureFittedOnTheExpertsLikelihoodsBeatsUniformNearHardAndTOne() throws Exception {
        Path fit = dir.resolve("fit.json");
        assertThat(RouterTools.run(
                        "fit-router",
                        "temperature",
                        "--manifest",
                        dir.resolve("mixture.yaml").toString(),
                        "--dataset",
                        dir.resolve("train.json").toString(),
                        "--features",
                        dir.resolve("features.npz").toString(),
                        "-o",
                        fit.toString()))
                .isZero();
        JsonNode result = HttpTestClient.JSON.readTree(fit.toFile());
        double temperature = result.get("temperature").asDouble();
        assertThat(temperature).isBetween(0.0, 100.0);
        assertThat(result.get("samples").asInt()).isEqualTo(3 * PER_KIND);
        JsonNode table = result.get("log_likelihood");
        double fitted = table.get("soft T = " + String.format(java.util.Locale.ROOT, "%.4g", temperature) + " (fitted)")
                .asDouble();
        for (String other : new String[] {"uniform (T = 0)", "soft T = 1", "soft T = 100.0 (about hard)"}) {
            assertThat(fitted).as(other).isGreaterThanOrEqualTo(table.get(other).asDouble());
        }
    }

    @Test
    void theLearnedClassifierPredictsTheClusterOfEveryTrainingImage() throws Exception {
        Path classifier = dir.resolve("classifier.safetensors");
        assertThat(RouterTools.run(
                        "fit-router",
                        "classifier",
                        "--features",
                        dir.resolve("features.npz").toString(),
                        "--centroids",
                        dir.resolve("clusters/clusters.safetensors").toString(),
                        "-o",
                        classifier.toString()))
                .isZero();
        io.tributary.routing.router.Classifier learned =
                io.tributary.model.router.RouterArtefactsReader.readClassifier(classifier);
        assertThat(learned.normalizeInput()).isTrue();
        FeatureTable features = FeatureTable.read(dir.resolve("features.npz"));
        for (int i = 0; i < features.features().length; i++) {
            Kind kind = Kind.valueOf(
                    features.imagePaths().get(i).replaceAll("/.*", "").toUpperCase());
            assertThat(io.tributary.routing.mixing.Weights.argmax(learned.logits(features.features()[i])))
                    .as(features.imagePaths().get(i))
                    .isEqualTo(CLUSTER_OF_KIND.get(kind));
        }
    }

    /** PER_KIND images of each kind and a LLaVA dataset naming them, plus a text-only sample. */
    private static Path writeDataset() throws Exception {
        StringBuilder samples = new StringBuilder("[");
        for (Kind kind : Kind.values()) {
            for (int i = 0; i < PER_KIND; i++) {
                String image = kind.name().toLowerCase() + "/" + i + ".png";
                Files.createDirectories(dir.resolve(image).getParent());
                Files.write(dir.resolve(image), DrawnImages.png(kind, 1000L * kind.ordinal() + i));
                samples.append(sample(kind.name() + i, "\"image\": \"" + image + "\", "))
                        .append(",\n");
            }
        }
        Files.writeString(dir.resolve("broken.png"), "not an image"); // features skips it, partition drops it
        samples.append(sample("broken", "\"image\": \"broken.png\", ")).append(",\n");
        samples.append(sample("text-only", "")).append("]");
        Path dataset = dir.resolve("train.json");
        Files.writeString(dataset, samples);
        return dataset;
    }

    private static String sample(String id, String image) {
        return "{\"id\": \"" + id + "\", " + image + "\"conversations\": [{\"from\": \"human\", \"value\": "
                + "\"<image>\\nWhat is this?\"}, {\"from\": \"gpt\", \"value\": \"A shape.\"}]}";
    }

    /** Every kind's samples must land in one cluster, a different one per kind; the text-only sample nowhere. */
    private static void readPartition() throws Exception {
        int total = 0;
        for (int k = 0; k < 3; k++) {
            JsonNode part = HttpTestClient.JSON.readTree(
                    dir.resolve("parts/cluster-" + k + "/train.json").toFile());
            for (JsonNode sample : part) {
                Kind kind = Kind.valueOf(sample.get("id").asString().replaceAll("\\d+$", ""));
                Integer previous = CLUSTER_OF_KIND.put(kind, k);
                assertThat(previous == null || previous == k)
                        .as("all of %s in one cluster", kind)
                        .isTrue();
                total++;
            }
        }
        assertThat(total)
                .as("the text-only sample and the unreadable image are dropped")
                .isEqualTo(3 * PER_KIND);
        assertThat(CLUSTER_OF_KIND.values())
                .as("one cluster per kind")
                .doesNotHaveDuplicates()
                .hasSize(3);
    }

    @LocalServerPort
    int port;

    @Test
    void aNewImageOfEachKindIsRoutedToTheExpertOfItsKindsCluster() throws Exception {
        HttpTestClient http = new HttpTestClient(port);
        for (Kind kind : Kind.values()) {
            String image = Base64.getEncoder().encodeToString(DrawnImages.png(kind, 99_999L + kind.ordinal()));
            HttpResponse<String> response = http.postJson(
                    "/generate",
                    "{\"inputs\":\"USER: ![](data:image/png;base64," + image
                            + ")\\nWhat is it? ASSISTANT:\",\"parameters\":{\"max_new_tokens\":2,\"details\":true}}");
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode weights =
                    json(response).get("details").get("tokens").get(0).get("expert_weights");
            for (int k = 0; k < 3; k++) {
                assertThat(weights.get(k).asDouble())
                        .as("%s, expert %d", kind, k)
                        .isEqualTo(k == CLUSTER_OF_KIND.get(kind) ? 1.0 : 0.0);
            }
        }
    }
}
