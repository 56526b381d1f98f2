package io.tributary.server.mixture;

import io.tributary.model.LoadOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Each class of manifest mistake fails the checks that run before any expert loads, naming the key and what was
 * expected. The experts here are directories without real weights: reaching the loading stage would fail
 * differently, so every row also shows that its mistake is found first.
 */
class ManifestMistakesTest {

    private static final String TWO = "name: m\nexperts:\n  - name: a\n    path: a\n  - name: b\n    path: b\n";
    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    static Path dir;

    @BeforeAll
    static void checkpoints() throws Exception {
        ManifestFixtures.write(dir);
    }

    static Stream<Arguments> mistakes() {
        return Stream.of(
                // The file as a whole
                arguments("", null, "the file is empty"),
                arguments("name: m\nexperts: [\n", null, "not valid YAML or JSON at line"),
                arguments(TWO + "router:\n  mode: uniform\nrouter:\n  mode: soft\n", null, "Duplicate"),
                arguments("- a\n- b\n", null, "expected a mapping with the keys name, experts, router"),
                arguments(
                        TWO + "routers: {}\n",
                        "routers",
                        "unknown key; the known keys at the top level are name, experts, router "
                                + "(did you mean 'router'?)"),
                // name and experts
                arguments("experts:\n  - name: a\n    path: a\n", "name", "is required"),
                arguments(
                        "name: 2024\nexperts:\n  - name: a\n    path: a\n",
                        "name",
                        "expected text, got the number 2024 (quote it"),
                arguments("name: m\n", "experts", "is required"),
                arguments("name: m\nexperts: []\n", "experts", "must list at least one expert"),
                arguments("name: m\nexperts: a\n", "experts", "expected a list, got the text 'a'"),
                arguments("name: m\nexperts:\n  - a\n", "experts[0]", "expected a mapping with the keys name, path"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n    pth: a\n",
                        "experts[0].pth",
                        "unknown key; the known keys in experts[0] are name, path, address, tls, token_file, "
                                + "precision, quantization (did you mean 'path'?)"),
                // Experts served by other processes
                arguments(
                        "name: m\nexperts:\n  - name: a\n    path: a\n    address: a:50051\n",
                        "experts[0].address",
                        "give either path (a checkpoint served here) or address (an expert server), not both"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n    address: expert-a\n",
                        "experts[0].address",
                        "expected host:port (e.g. law-expert:50051), got 'expert-a'"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n    address: []\n",
                        "experts[0].address",
                        "lists no address; give host:port, or a list of them for replicas"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n    address: [a-0:50051, a-0:50051]\n",
                        "experts[0].address",
                        "lists an address twice"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n    address: dns:///10.0.0.7:50051\n",
                        "experts[0].address",
                        "dns:/// takes a name to resolve, not an address; got 'dns:///10.0.0.7:50051'"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n    address: dns:///experts-a\n",
                        "experts[0].address",
                        "expected host:port (e.g. law-expert:50051), got 'experts-a'"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n    address: [a-0:50051, dns:///a:50051]\n",
                        "experts[0].address",
                        "expected host:port (e.g. law-expert:50051), or dns:///host:port alone, got 'dns:///a:50051'"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n    address: [a-0:50051, a-1]\n",
                        "experts[0].address",
                        "expected host:port (e.g. law-expert:50051), got 'a-1'"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n    address: expert-a:70000\n",
                        "experts[0].address",
                        "the port must be from 1 to 65535, got 70000"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n    address: 127.0.0.1:1\n",
                        "experts[0].address",
                        "cannot reach expert 'a' at 127.0.0.1:1"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n",
                        "experts[0].path",
                        "is required: a checkpoint directory, or give address: host:port"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n    path: a\n  - name: b\n", "experts[1].path", "is required"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n    path: a\n  - name: a\n    path: b\n",
                        "experts[1].name",
                        "'a' is already the name of another expert"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n    path: a\n  - name: b\n    path: missing\n",
                        "experts[1].path",
                        "missing does not exist"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n    path: not-a-directory\n",
                        "experts[0].path",
                        "is a file; expected a Hugging Face checkpoint directory"),
                // Checkpoints, read without their weights
                arguments("name: m\nexperts:\n  - name: a\n    path: no-config\n", "experts[0].path", "no config.json"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n    path: gpt2\n",
                        "experts[0].path",
                        "unsupported architecture [GPT2LMHeadModel]"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n    path: no-tokenizer\n",
                        "experts[0].path",
                        "has no tokenizer.json"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n    path: no-weights\n",
                        "experts[0].path",
                        "has no *.safetensors weights"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n    path: a\n  - name: b\n    path: other-tokenizer\n",
                        "experts[1].path",
                        "expert 'b' has a different tokenizer.json than expert 'a'"),
                arguments(
                        "name: m\nexperts:\n  - name: a\n    path: a\n  - name: b\n    path: llava\n",
                        "experts[1].path",
                        "experts of one mixture must be of one family"),
                // The router's keys and values
                arguments(
                        TWO + "router:\n  mode: soft\n  tempreature: 2\n",
                        "router.tempreature",
                        "unknown key; the known keys in router are mode, weights, temperature, top_k, priors, "
                                + "centroids, classifier, feature_extractor, fine_to_coarse, feature_normalization (did you mean 'temperature'?)"),
                arguments(TWO + "router: soft\n", "router", "expected a mapping with the keys mode, weights"),
                arguments(
                        TWO + "router:\n  mode: sotf\n",
                        "router.mode",
                        "unknown routing mode 'sotf'; known modes: uniform, fixed, hard, soft, top-k, posterior, "
                                + "learned (did you mean 'soft'?)"),
                arguments(
                        TWO + "router:\n  temperature: -1\n",
                        "router.temperature",
                        "expected a number greater than 0, got the number -1"),
                arguments(
                        TWO + "router:\n  temperature: hot\n",
                        "router.temperature",
                        "expected a number greater than 0, got the text 'hot'"),
                arguments(
                        TWO + "router:\n  mode: top-k\n  top_k: 3\n",
                        "router.top_k",
                        "expected a whole number from 1 to 2 (the number of experts), got the number 3"),
                arguments(TWO + "router:\n  mode: top-k\n  top_k: 1.5\n", "router.top_k", "expected a whole number"),
                arguments(
                        TWO + "router:\n  mode: fixed\n  weights: [1, 2, 3]\n",
                        "router.weights",
                        "expected 2 weights (one per expert), got 3"),
                arguments(
                        TWO + "router:\n  mode: fixed\n  weights: [1, -0.5]\n",
                        "router.weights[1]",
                        "expected a number >= 0, got the number -0.5"),
                arguments(TWO + "router:\n  mode: fixed\n  weights: [0, 0]\n", "router.weights", "all zero"),
                arguments(
                        TWO + "router:\n  mode: posterior\n  priors: [0.5, 0.5]\n",
                        "router.priors",
                        "give router.centroids too"),
                arguments(
                        TWO + "router:\n  mode: soft\n  centroids: absent.safetensors\n",
                        "router.centroids",
                        "absent.safetensors does not exist; expected a .safetensors file"),
                arguments(
                        TWO + "router:\n  feature_extractor: absent-clip\n",
                        "router.feature_extractor",
                        "absent-clip does not exist; expected a CLIP checkpoint directory"),
                // What each mode needs and takes
                arguments(
                        TWO + "router:\n  mode: fixed\n", "router", "routing mode 'fixed' needs one weight per expert"),
                arguments(TWO + "router:\n  mode: soft\n", "router", "routing mode 'soft' needs router centroids"),
                arguments(
                        TWO + "router:\n  mode: top-k\n  centroids: clusters-2x4.safetensors\n",
                        "router",
                        "routing mode 'top-k' needs top_k"),
                arguments(
                        TWO + "router:\n  mode: learned\n",
                        "router",
                        "routing mode 'learned' needs a router classifier"),
                arguments(TWO + "router:\n  top_k: 1\n", "router", "routing mode 'uniform' takes no top_k"),
                // The router's artefacts: tensors, shapes, and agreement with K and with each other
                arguments(
                        TWO + "router:\n  mode: hard\n  centroids: clusters-3x4.safetensors\n",
                        "router.centroids",
                        "holds 3 centroids but the manifest lists 2 experts"),
                arguments(
                        TWO + "router:\n  mode: hard\n  centroids: centers.safetensors\n",
                        "router.centroids",
                        "unexpected tensor 'centers'"),
                arguments(
                        TWO + "router:\n  mode: hard\n  centroids: clusters-mean-5.safetensors\n",
                        "router.centroids",
                        "has dimension 4 but the global mean has 5"),
                arguments(
                        TWO + "router:\n  mode: hard\n  centroids: garbage.safetensors\n",
                        "router.centroids",
                        "garbage.safetensors"),
                arguments(
                        TWO + "router:\n  mode: learned\n  classifier: classifier-3x4.safetensors\n",
                        "router.classifier",
                        "gives 3 outputs but the manifest lists 2 experts"),
                arguments(
                        TWO + "router:\n  mode: learned\n  classifier: classifier-2x8.safetensors\n"
                                + "  centroids: clusters-2x4.safetensors\n",
                        "router.classifier",
                        "takes features of dimension 8 but router.centroids have dimension 4"),
                arguments(
                        TWO
                                + "router:\n  mode: hard\n  centroids: clusters-2x4.safetensors\n  feature_extractor: clip\n",
                        "router.feature_extractor",
                        "(its projection_dim) but router.centroids have dimension 4"),
                arguments(
                        TWO + "router:\n  feature_extractor: empty-dir\n",
                        "router.feature_extractor",
                        "no config.json"));
    }

    @ParameterizedTest(name = "[{index}] {1}: {2}")
    @MethodSource("mistakes")
    void eachMistakeFailsBeforeLoadingNamingItsKey(String manifest, String key, String fragment) throws Exception {
        Path file = Files.writeString(dir.resolve("mistake-" + FILES.incrementAndGet() + ".yaml"), manifest);
        MixtureLoader loader = new MixtureLoader(LoadOptions.cpu());

        assertThatThrownBy(() -> loader.load(file))
                .isInstanceOfSatisfying(InvalidManifestException.class, e -> {
                    assertThat(e.file()).isEqualTo(file);
                    assertThat(e.key()).isEqualTo(key);
                })
                .hasMessageStartingWith("mixture manifest " + file + ": " + (key == null ? "" : key + ": "))
                .hasMessageContaining(fragment);
    }

    @Test
    void aRouterWithoutModeIsUniformAsDocumented() throws Exception {
        Path file = Files.writeString(
                dir.resolve("no-mode.yaml"),
                TWO + "router:\n  centroids: clusters-2x4.safetensors\n  temperature: 5\n");
        MixtureLoader.Checked checked = new MixtureLoader(LoadOptions.cpu()).check(file);
        assertThat(checked.manifest().router().mode()).isEqualTo("uniform");
        assertThat(checked.router().clusters().clusters()).isEqualTo(2);
        assertThat(checked.router().temperature()).isEqualTo(5.0);
    }

    @Test
    void aManifestWithoutRouterIsUniform() throws Exception {
        Path file = Files.writeString(dir.resolve("no-router.yaml"), TWO);
        MixtureLoader.Checked checked = new MixtureLoader(LoadOptions.cpu()).check(file);
        assertThat(checked.manifest().router()).isNull();
        assertThat(checked.directories())
                .containsExactly(
                        dir.resolve("a").toAbsolutePath(), dir.resolve("b").toAbsolutePath());
        assertThat(checked.eosTokenIds()).containsExactly(2);
    }

    @Test
    void suggestionsCatchTyposButNotUnrelatedWords() {
        assertThat(Suggestions.didYouMean("tempreature", ManifestReader.ROUTER_KEYS))
                .contains("'temperature'");
        assertThat(Suggestions.didYouMean("topk", ManifestReader.ROUTER_KEYS)).contains("'top_k'");
        assertThat(Suggestions.didYouMean("colour", ManifestReader.ROUTER_KEYS)).isEmpty();
    }
}
