package io.tributary.server.mixture;

import io.tributary.model.ExpertLoader;
import io.tributary.model.ImageProcessorFactory;
import io.tributary.model.LoadOptions;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.tokenizer.HfTokenizer;
import io.tributary.model.vision.VisionTowers;
import io.tributary.routing.Expert;
import io.tributary.routing.decode.Mixture;
import io.tributary.routing.router.FeatureExtractor;
import io.tributary.routing.router.Router;
import io.tributary.routing.router.Routers;
import io.tributary.server.chat.ChatTemplates;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Builds the served mixture from a manifest: loads each expert by its checkpoint's architecture, checks that they
 * share one tokenizer, and sets up the router. Anything wrong fails start-up with a message naming the expert.
 */
public final class MixtureLoader {

    private static final Logger LOG = LoggerFactory.getLogger(MixtureLoader.class);

    private final LoadOptions options;

    public MixtureLoader(LoadOptions options) {
        this.options = options;
    }

    public ServedModel load(Path manifestFile) {
        MixtureManifest manifest = ManifestReader.read(manifestFile);
        CloseableStack resources = new CloseableStack();
        List<Expert> loaded = new ArrayList<>();
        try {
            // One registry per mixture: experts with identical vision towers share weights and encodings.
            VisionTowers towers = resources.push(new VisionTowers());
            ExpertLoader experts = ExpertLoader.withBuiltInFamilies(ImageProcessorFactory.DEFAULT, towers);
            Path first = ManifestReader.checkpointDirectory(manifestFile, manifest.experts().get(0));
            HfTokenizer tokenizer = resources.push(experts.loadTokenizer(first));
            Optional<String> placeholder = experts.imagePlaceholder(first);
            Set<Integer> eos = new HashSet<>();
            for (MixtureManifest.ExpertEntry entry : manifest.experts()) {
                Path directory = ManifestReader.checkpointDirectory(manifestFile, entry);
                requireSameTokenizer(manifestFile, manifest, entry, first, directory);
                requireSamePlaceholder(manifestFile, entry, placeholder, experts.imagePlaceholder(directory));
                long started = System.nanoTime();
                loaded.add(experts.load(entry.name(), directory, options));
                LOG.info("loaded expert '{}' from {} in {} ms", entry.name(), directory,
                        (System.nanoTime() - started) / 1_000_000);
                eos.addAll(experts.inspect(directory).eosTokenIds());
            }
            FeatureExtractor features = RouterLoader.featureExtractor(manifestFile, manifest.router(), options, towers,
                    resources);
            Routers routers = new Routers(RouterLoader.resources(manifestFile, manifest.router(), loaded.size(),
                    features));
            Router router = RouterLoader.defaultRouter(manifestFile, manifest.router(), routers);
            Mixture mixture = new Mixture(manifest.name(), loaded, router, tokenizer, eos);
            int maxTotalTokens = loaded.stream().mapToInt(Expert::maxSequenceLength).min().orElseThrow();
            PromptEncoder prompts = new TokenizerPromptEncoder(tokenizer, placeholder, ImageLimits.DEFAULT,
                    ChatTemplates.fromCheckpoint(first));
            return new ServedModel(mixture, routers, prompts, maxTotalTokens, SharedVision.of(towers), resources);
        } catch (RuntimeException e) {
            loaded.forEach(Expert::close);
            resources.close();
            throw e;
        }
    }

    /** Experts of one mixture must write images into their prompts the same way (one family). */
    private static void requireSamePlaceholder(Path manifestFile, MixtureManifest.ExpertEntry entry,
                                               Optional<String> expected, Optional<String> actual) {
        if (!expected.equals(actual)) {
            throw new ManifestReader.InvalidManifestException(manifestFile, "expert '" + entry.name()
                    + "' writes images as " + actual.orElse("nothing (text only)") + " but the first expert as "
                    + expected.orElse("nothing (text only)") + ": experts of one mixture must be of one family");
        }
    }

    /** Experts of one mixture must read and write text identically: same tokenizer file, byte for byte. */
    private static void requireSameTokenizer(Path manifestFile, MixtureManifest manifest,
                                             MixtureManifest.ExpertEntry entry, Path first, Path directory) {
        if (directory.equals(first)) {
            return;
        }
        try {
            byte[] reference = Files.readAllBytes(first.resolve(HfTokenizer.FILE_NAME));
            byte[] candidate = Files.readAllBytes(directory.resolve(HfTokenizer.FILE_NAME));
            if (!Arrays.equals(reference, candidate)) {
                throw new ManifestReader.InvalidManifestException(manifestFile, "expert '" + entry.name()
                        + "' has a different tokenizer.json than expert '" + manifest.experts().get(0).name()
                        + "': experts of one mixture must share one tokenizer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the tokenizer of expert '" + entry.name() + "'", e);
        }
    }
}
