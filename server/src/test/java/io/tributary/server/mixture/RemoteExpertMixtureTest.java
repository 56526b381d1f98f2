package io.tributary.server.mixture;

import io.tributary.model.LoadOptions;
import io.tributary.model.tiny.TinyLlava;
import io.tributary.model.tiny.TinyLlavaSpec;
import io.tributary.remote.client.ReplicatedExpert;
import io.tributary.remote.host.ExpertHostServer;
import io.tributary.remote.host.HostedExpert;
import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;
import io.tributary.routing.decode.DecodeScheduler;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.decode.StoppingCriteria;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.routing.testing.RecordingListener;
import io.tributary.server.TinyTextMixture;
import io.tributary.server.mixture.MixtureManifest.RouterEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * A gateway whose manifest names its experts by address decodes, greedy, exactly as the same mixture in process:
 * the tiny text mixture's Llama experts, and tiny LLaVA experts reading an image. Each expert is served by
 * its own expert server on a localhost port.
 */
class RemoteExpertMixtureTest {

    @TempDir
    Path dir;

    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    @Test
    void theEmbeddedDefaultServedByTwoExpertServersDecodesAsInProcess() {
        Path local = TinyTextMixture.write(dir.resolve("cache"));
        for (RouterEntry router : List.of(RouterEntry.of("uniform"), RouterEntry.of("posterior"))) {
            ServedModel inProcess = load(ManifestReader.write(
                    local.resolveSibling(router.mode() + ".yaml"),
                    MixtureManifest.of("local", router, "expert-0", "expert-1")));
            ServedModel gateway = load(gatewayManifest(local, router, "expert-0", "expert-1"));
            assertThat(gateway.mixture().experts()).allMatch(expert -> expert instanceof ReplicatedExpert);

            List<Prompt> prompts = List.of(
                    Prompt.ofTokens(inProcess.prompts().encode("The river bends")),
                    Prompt.ofTokens(inProcess.prompts().encode("Under the old bridge, slowly")));
            assertSameAnswers(decode(gateway, prompts), decode(inProcess, prompts));
        }
    }

    @Test
    void tinyLlavaExpertsReadTheImageAcrossTheWire() throws Exception {
        TinyLlavaSpec spec = TinyLlavaSpec.forTests().withSharpWeights(true);
        TinyLlava.write(dir.resolve("cooking"), spec, 1, 100);
        TinyLlava.write(dir.resolve("astronomy"), spec, 2, 100);
        Path local = ManifestReader.write(
                dir.resolve("mixture.yaml"),
                MixtureManifest.of("llava", RouterEntry.of("fixed", 0.4, 0.6), "cooking", "astronomy"));
        ServedModel inProcess = load(local);
        ServedModel gateway = load(gatewayManifest(local, RouterEntry.of("fixed", 0.4, 0.6), "cooking", "astronomy"));
        String placeholder = inProcess.prompts().imagePlaceholder().orElseThrow();
        assertThat(gateway.prompts().imagePlaceholder()).contains(placeholder);

        List<Prompt> prompts = new ArrayList<>();
        for (int seed = 1; seed <= 2; seed++) {
            int[] tokens = gateway.prompts().encode("USER: " + placeholder + "\nDescribe. ASSISTANT:");
            prompts.add(new Prompt(tokens, List.of(new ImageInput(png(seed), "image/png"))));
        }
        assertThat(gateway.promptPositions(prompts.get(0)))
                .isEqualTo(inProcess.promptPositions(prompts.get(0)))
                .isGreaterThan(prompts.get(0).length());
        List<RecordingListener> remote = decode(gateway, prompts);
        assertSameAnswers(remote, decode(inProcess, prompts));
        assertThat(remote.get(0).tokenIds())
                .as("the image sways the answer")
                .isNotEqualTo(remote.get(1).tokenIds());
    }

    /** Serves each named expert of the local manifest from its own expert server; a manifest naming them by address. */
    private Path gatewayManifest(Path localManifest, RouterEntry router, String... experts) {
        MixtureLoader.Checked checked = loader().check(localManifest);
        ServedModel hostedModel = track(loader().load(checked));
        List<HostedExpert> hosted = HostedExperts.of(hostedModel, checked);
        List<MixtureManifest.ExpertEntry> entries = new ArrayList<>();
        for (int k = 0; k < experts.length; k++) {
            ExpertHostServer server = track(new ExpertHostServer(
                            List.of(hosted.get(k)),
                            new ExpertHostServer.Settings(0, Duration.ofMinutes(1), 2),
                            Thread::new)
                    .start());
            entries.add(MixtureManifest.ExpertEntry.remote(experts[k], "localhost:" + server.port()));
        }
        return ManifestReader.write(
                dir.resolve("gateway-" + router.mode() + ".yaml"), new MixtureManifest("gateway", entries, router));
    }

    private static void assertSameAnswers(List<RecordingListener> remote, List<RecordingListener> local) {
        for (int i = 0; i < local.size(); i++) {
            assertThat(remote.get(i).result.join().generatedText())
                    .isEqualTo(local.get(i).result.join().generatedText());
            assertThat(remote.get(i).tokenIds())
                    .hasSize(16)
                    .containsExactly(local.get(i).tokenIds());
            for (int t = 0; t < local.get(i).tokens.size(); t++) {
                assertThat(remote.get(i).tokens.get(t).logProb())
                        .isCloseTo(local.get(i).tokens.get(t).logProb(), within(1e-5f));
            }
        }
    }

    /** Greedy answers to every prompt, decoded together in batched steps. */
    private static List<RecordingListener> decode(ServedModel model, List<Prompt> prompts) {
        List<RecordingListener> listeners = new ArrayList<>();
        try (DecodeScheduler scheduler =
                new DecodeScheduler(model.mixture(), new DecodeScheduler.Limits(4, 4, 256, 1L << 40), 2, Thread::new)) {
            for (Prompt prompt : prompts) {
                RecordingListener listener = new RecordingListener();
                scheduler.submit(model.mixture()
                        .start(
                                new GenerationRequest(
                                        prompt, SamplingParams.GREEDY, new StoppingCriteria(16, List.of(), true)),
                                listener));
                listeners.add(listener);
            }
            listeners.forEach(listener -> listener.result.join());
        }
        return listeners;
    }

    private ServedModel load(Path manifest) {
        return track(loader().load(manifest));
    }

    private MixtureLoader loader() {
        return new MixtureLoader(
                LoadOptions.cpu(),
                io.tributary.model.image.ImageLimits.DEFAULT,
                io.tributary.remote.client.RemoteOptions.DEFAULT,
                dir.resolve("remote-tokenizers"));
    }

    private <T extends AutoCloseable> T track(T resource) {
        closing.add(resource);
        return resource;
    }

    private static byte[] png(int seed) throws Exception {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 40; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(image, "png", bytes);
        return bytes.toByteArray();
    }
}
