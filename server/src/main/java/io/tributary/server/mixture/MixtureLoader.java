package io.tributary.server.mixture;

import io.tributary.model.CheckpointInfo;
import io.tributary.model.ExpertLoader;
import io.tributary.model.LoadOptions;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.tokenizer.HfTokenizer;
import io.tributary.routing.Expert;
import io.tributary.routing.decode.Mixture;
import io.tributary.routing.router.Router;
import io.tributary.routing.router.Routers;
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

    private final ExpertLoader experts;
    private final LoadOptions options;

    public MixtureLoader(ExpertLoader experts, LoadOptions options) {
        this.experts = experts;
        this.options = options;
    }

    public ServedModel load(Path manifestFile) {
        MixtureManifest manifest = ManifestReader.read(manifestFile);
        List<Expert> loaded = new ArrayList<>();
        HfTokenizer tokenizer = null;
        try {
            Set<Integer> eos = new HashSet<>();
            for (MixtureManifest.ExpertEntry entry : manifest.experts()) {
                Path directory = ManifestReader.checkpointDirectory(manifestFile, entry);
                long started = System.nanoTime();
                loaded.add(experts.load(entry.name(), directory, options));
                LOG.info("loaded expert '{}' from {} in {} ms", entry.name(), directory,
                        (System.nanoTime() - started) / 1_000_000);
                CheckpointInfo info = experts.inspect(directory);
                eos.addAll(info.eosTokenIds());
                if (tokenizer == null) {
                    tokenizer = experts.loadTokenizer(directory);
                } else {
                    requireSameTokenizer(manifest, entry, directory, manifestFile);
                }
            }
            Routers routers = new Routers(RouterLoader.resources(manifestFile, manifest.router(), loaded.size()));
            Router router = RouterLoader.defaultRouter(manifestFile, manifest.router(), routers);
            Mixture mixture = new Mixture(manifest.name(), loaded, router, tokenizer, eos);
            int maxTotalTokens = loaded.stream().mapToInt(Expert::maxSequenceLength).min().orElseThrow();
            PromptEncoder prompts = new TokenizerPromptEncoder(tokenizer, Optional.empty(), ImageLimits.DEFAULT);
            return new ServedModel(mixture, routers, prompts, maxTotalTokens, tokenizer);
        } catch (RuntimeException e) {
            loaded.forEach(Expert::close);
            if (tokenizer != null) {
                tokenizer.close();
            }
            throw e;
        }
    }

    /** Experts of one mixture must read and write text identically: same tokenizer file, byte for byte. */
    private static void requireSameTokenizer(MixtureManifest manifest, MixtureManifest.ExpertEntry entry,
                                             Path directory, Path manifestFile) {
        Path first = ManifestReader.checkpointDirectory(manifestFile, manifest.experts().get(0));
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
