package io.tributary.server.mixture;

import io.tributary.model.ExpertLoader;
import io.tributary.model.ImageProcessorFactory;
import io.tributary.model.LoadOptions;
import io.tributary.model.ModelLoadException;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.tokenizer.HfTokenizer;
import io.tributary.model.vision.VisionTowers;
import io.tributary.remote.client.RemoteOptions;
import io.tributary.remote.client.ReplicatedExpert;
import io.tributary.routing.Expert;
import io.tributary.routing.decode.Mixture;
import io.tributary.routing.router.FeatureExtractor;
import io.tributary.routing.router.Router;
import io.tributary.routing.router.Routers;
import io.tributary.server.chat.ChatTemplates;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Builds the served mixture from a manifest. Everything that can be checked without loading an expert is checked
 * first ({@link #check}: the manifest, each checkpoint's configuration, family and tokenizer, the router's
 * artefacts), so that a mistake fails start-up in milliseconds instead of after minutes of loading weights; then
 * each expert loads by its checkpoint's architecture and the router is wired to them.
 */
public final class MixtureLoader {

    private static final Logger LOG = LoggerFactory.getLogger(MixtureLoader.class);

    private final LoadOptions options;
    private final ImageLimits imageLimits;
    private final RemoteCheckpoints remote;

    public MixtureLoader(LoadOptions options) {
        this(options, ImageLimits.DEFAULT);
    }

    public MixtureLoader(LoadOptions options, ImageLimits imageLimits) {
        this(
                options,
                imageLimits,
                RemoteOptions.DEFAULT,
                Path.of(System.getProperty("java.io.tmpdir"), "tributary-remote-tokenizers"));
    }

    /**
     * @param remoteOptions  how to talk to experts the manifest names by address
     * @param tokenizerCache where their tokenizer files are kept
     */
    public MixtureLoader(
            LoadOptions options, ImageLimits imageLimits, RemoteOptions remoteOptions, Path tokenizerCache) {
        this.options = options;
        this.imageLimits = imageLimits;
        this.remote = new RemoteCheckpoints(remoteOptions, tokenizerCache);
    }

    /**
     * A mixture that passed every check that reads no weights ({@link #check}), ready to {@link #load(Checked)}.
     *
     * @param directories each expert's checkpoint directory, in manifest order; for a remote expert, the directory
     *                    its tokenizer files were written to
     * @param placeholder the experts' common image placeholder; empty for text-only experts
     * @param remote      the connected remote experts by manifest index; {@link #load(Checked)} takes them over
     */
    public record Checked(
            Path manifestFile,
            MixtureManifest manifest,
            List<Path> directories,
            Optional<String> placeholder,
            Set<Integer> eosTokenIds,
            RouterLoader.Artefacts router,
            Map<Integer, ReplicatedExpert> remote) {}

    public ServedModel load(Path manifestFile) {
        return load(check(manifestFile));
    }

    /**
     * Checks the manifest and everything it names without loading a weight: milliseconds. Experts named by address
     * are asked what they are (and stay connected for {@link #load(Checked)}).
     *
     * @throws InvalidManifestException naming the file, the key and what was expected
     */
    public Checked check(Path manifestFile) {
        long started = System.nanoTime();
        ExpertLoader experts = ExpertLoader.withBuiltInFamilies(ImageProcessorFactory.builtIn(imageLimits));
        MixtureManifest manifest = ManifestReader.read(manifestFile);
        List<Path> directories = new ArrayList<>();
        Set<Integer> eos = new HashSet<>();
        Optional<String> placeholder = Optional.empty();
        Map<Integer, ReplicatedExpert> connected = new HashMap<>();
        try {
            for (int i = 0; i < manifest.experts().size(); i++) {
                Path directory;
                ExpertCheckpoints.Inspected inspected;
                if (manifest.experts().get(i).isRemote()) {
                    RemoteCheckpoints.Connected remoteExpert = remote.connect(manifestFile, manifest, i);
                    connected.put(i, remoteExpert.expert());
                    directory = remoteExpert.directory();
                    inspected = new ExpertCheckpoints.Inspected(remoteExpert.placeholder(), remoteExpert.eosTokenIds());
                } else {
                    directory = ManifestReader.checkpointDirectory(
                            manifestFile, manifest.experts().get(i));
                    inspected = ExpertCheckpoints.inspect(manifestFile, manifest, i, directory, experts);
                }
                placeholder = checkSameText(manifestFile, manifest, i, directories, directory, placeholder, inspected);
                directories.add(directory);
                eos.addAll(inspected.eosTokenIds());
            }
        } catch (RuntimeException e) {
            connected.values().forEach(ReplicatedExpert::close);
            throw e;
        }
        RouterLoader.Artefacts router;
        try {
            router = RouterLoader.check(
                    manifestFile, manifest.router(), manifest.experts().size(), imageLimits);
        } catch (RuntimeException e) {
            connected.values().forEach(ReplicatedExpert::close);
            throw e;
        }
        LOG.info(
                "checked mixture manifest {} ({} experts, {} remote) in {} ms",
                manifestFile,
                directories.size(),
                connected.size(),
                (System.nanoTime() - started) / 1_000_000);
        return new Checked(
                manifestFile, manifest, directories, placeholder, Set.copyOf(eos), router, Map.copyOf(connected));
    }

    /** Experts of one mixture share one family and one tokenizer; returns the family's placeholder. */
    private static Optional<String> checkSameText(
            Path manifestFile,
            MixtureManifest manifest,
            int i,
            List<Path> directories,
            Path directory,
            Optional<String> placeholder,
            ExpertCheckpoints.Inspected inspected) {
        if (i > 0) {
            ExpertCheckpoints.requireSameFamily(manifestFile, manifest, i, placeholder, inspected.placeholder());
            ExpertCheckpoints.requireSameTokenizer(manifestFile, manifest, i, directories.get(0), directory);
        }
        return inspected.placeholder();
    }

    /** Loads a checked mixture: each expert's weights, then the router's feature extractor. */
    public ServedModel load(Checked mixture) {
        CloseableStack resources = new CloseableStack();
        List<Expert> loaded = new ArrayList<>();
        try {
            // One registry per mixture: experts with identical vision towers share weights and encodings.
            VisionTowers towers = resources.push(new VisionTowers());
            ExpertLoader experts = ExpertLoader.withBuiltInFamilies(ImageProcessorFactory.builtIn(imageLimits), towers);
            Path manifestFile = mixture.manifestFile();
            MixtureManifest manifest = mixture.manifest();
            HfTokenizer tokenizer = resources.push(tokenizer(mixture, experts));
            for (int i = 0; i < manifest.experts().size(); i++) {
                ReplicatedExpert remoteExpert = mixture.remote().get(i);
                loaded.add(remoteExpert != null ? remoteExpert : loadExpert(mixture, i, experts));
            }
            FeatureExtractor features = RouterLoader.featureExtractor(
                    manifestFile, mixture.router(), options, imageLimits, towers, resources);
            Routers routers = RouterLoader.routers(mixture.router(), loaded.size(), features);
            Router router = RouterLoader.defaultRouter(manifestFile, mixture.router(), routers);
            Mixture served = new Mixture(manifest.name(), loaded, router, tokenizer, mixture.eosTokenIds());
            int maxTotalTokens =
                    loaded.stream().mapToInt(Expert::maxSequenceLength).min().orElseThrow();
            PromptEncoder prompts = new TokenizerPromptEncoder(
                    tokenizer,
                    mixture.placeholder(),
                    imageLimits,
                    ChatTemplates.fromCheckpoint(mixture.directories().get(0)));
            return new ServedModel(served, routers, prompts, maxTotalTokens, SharedVision.of(towers), resources);
        } catch (RuntimeException e) {
            loaded.forEach(Expert::close);
            mixture.remote().values().forEach(Expert::close); // closing twice is harmless
            resources.close();
            throw e;
        }
    }

    private static HfTokenizer tokenizer(Checked mixture, ExpertLoader experts) {
        try {
            return experts.loadTokenizer(mixture.directories().get(0));
        } catch (ModelLoadException | IllegalArgumentException | UncheckedIOException e) {
            throw new InvalidManifestException(
                    mixture.manifestFile(),
                    "experts[0].path",
                    "cannot read the " + "checkpoint's tokenizer.json: " + e.getMessage(),
                    e);
        }
    }

    private Expert loadExpert(Checked mixture, int index, ExpertLoader experts) {
        MixtureManifest.ExpertEntry entry = mixture.manifest().experts().get(index);
        Path directory = mixture.directories().get(index);
        long started = System.nanoTime();
        LoadOptions expertOptions;
        try {
            expertOptions = entry.options(options);
        } catch (IllegalArgumentException e) {
            throw new InvalidManifestException(
                    mixture.manifestFile(),
                    "experts[" + index + "]",
                    "expert '" + entry.name() + "': " + e.getMessage(),
                    e);
        }
        try {
            Expert expert = experts.load(entry.name(), directory, expertOptions);
            LOG.info(
                    "loaded expert '{}' from {} in {} ms",
                    entry.name(),
                    directory,
                    (System.nanoTime() - started) / 1_000_000);
            return expert;
        } catch (ModelLoadException | IllegalArgumentException | UncheckedIOException e) {
            throw new InvalidManifestException(
                    mixture.manifestFile(),
                    "experts[" + index + "].path",
                    "expert '" + entry.name() + "': cannot load the checkpoint " + directory + ": " + e.getMessage(),
                    e);
        }
    }
}
