package io.tributary.tools.router;

import io.tributary.model.LoadOptions;
import io.tributary.model.image.ImageFiles;
import io.tributary.model.image.ImageLimits;
import io.tributary.model.vision.ClipFeatureExtractor;
import io.tributary.model.vision.VisionTowers;
import io.tributary.routing.ImageInput;
import io.tributary.routing.refusal.ImageRefusedException;
import io.tributary.tools.clustering.Cosine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * CLIP image features as the paper computes them: {@code get_image_features} (the projected class token) of each
 * image, L2-normalised, for a folder of images or the images a LLaVA JSON / InternVL JSONL dataset names.
 */
@Command(
        name = "features",
        mixinStandardHelpOptions = true,
        description = "CLIP image features (projected, L2-normalised) of a folder of images or of a dataset's images.")
final class FeaturesCommand implements Callable<Integer> {

    @Option(names = "--clip", required = true, description = "CLIP checkpoint directory (e.g. clip-vit-base-patch16).")
    Path clip;

    @Option(names = "--images", description = "A folder of images, read recursively; paths are stored relative to it.")
    Path images;

    @Option(names = "--dataset", description = "A LLaVA .json or InternVL .jsonl dataset whose images to embed.")
    Path dataset;

    @Option(names = "--image-root", description = "Where a dataset's image paths start (default: its folder).")
    Path imageRoot;

    @Option(
            names = {"-o", "--out"},
            required = true,
            split = ",",
            description = "Output file(s): .safetensors, .npz (features, image_paths) and/or .npy (features).")
    List<Path> outputs;

    @Option(names = "--batch-size", defaultValue = "16", description = "Images projected per batch (default: 16).")
    int batchSize;

    @Override
    public Integer call() throws IOException {
        if ((images == null) == (dataset == null)) {
            throw new IllegalArgumentException("give exactly one of --images or --dataset");
        }
        Path root = images != null
                ? images
                : imageRoot != null ? imageRoot : dataset.toAbsolutePath().getParent();
        List<String> paths = images != null ? folderImages(images) : datasetImages(dataset);
        System.err.printf(Locale.ROOT, "%d images under %s%n", paths.size(), root);
        FeatureTable table;
        try (VisionTowers towers = new VisionTowers();
                ClipFeatureExtractor extractor =
                        ClipFeatureExtractor.load(clip, LoadOptions.cpu(), ImageLimits.DEFAULT, towers)) {
            table = embed(extractor, root, paths);
        }
        for (Path output : outputs) {
            table.write(output);
            System.err.println("wrote " + output);
        }
        return 0;
    }

    /** Embeds in batches; an image that cannot be read is skipped with a warning, as the paper's code skips it. */
    private FeatureTable embed(ClipFeatureExtractor extractor, Path root, List<String> paths) {
        List<String> embeddedPaths = new ArrayList<>();
        List<float[]> features = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        ProgressBar progress = new ProgressBar("features", "images", paths.size(), System.err);
        for (int start = 0; start < paths.size(); start += batchSize) {
            List<String> batchPaths = new ArrayList<>();
            List<ImageInput> batch = new ArrayList<>();
            for (String path : paths.subList(start, Math.min(paths.size(), start + batchSize))) {
                try {
                    Path file = root.resolve(path);
                    batch.add(new ImageInput(
                            Files.readAllBytes(file), ImageFiles.mediaType(file).orElse("image/png")));
                    batchPaths.add(path);
                } catch (IOException | IllegalArgumentException e) {
                    skipped.add(path + ": " + e.getMessage());
                }
            }
            try {
                add(extractor.embedEach(batch), batchPaths, features, embeddedPaths);
            } catch (ImageRefusedException batchFailed) { // find the unreadable image: one at a time
                for (int i = 0; i < batch.size(); i++) {
                    try {
                        add(
                                extractor.embedEach(List.of(batch.get(i))),
                                List.of(batchPaths.get(i)),
                                features,
                                embeddedPaths);
                    } catch (ImageRefusedException e) {
                        skipped.add(batchPaths.get(i) + ": " + e.getMessage());
                    }
                }
            }
            progress.step(Math.min(paths.size(), start + batchSize) - start);
        }
        double rate = progress.finish();
        System.err.printf(Locale.ROOT, "%.2f images/s%n", rate);
        skipped.forEach(reason -> System.err.println("skipped " + reason));
        if (features.isEmpty()) {
            throw new IllegalArgumentException(
                    "no image could be read under " + root + (skipped.isEmpty() ? "" : ", e.g. " + skipped.get(0)));
        }
        return new FeatureTable(embeddedPaths, features.toArray(float[][]::new));
    }

    private static void add(float[][] rows, List<String> paths, List<float[]> features, List<String> embedded) {
        for (float[] row : rows) {
            features.add(Cosine.normalize(row)); // the paper stores unit-length features
        }
        embedded.addAll(paths);
    }

    static List<String> folderImages(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile)
                    .filter(file -> ImageFiles.mediaType(file).isPresent())
                    .map(file -> folder.relativize(file).toString().replace('\\', '/'))
                    .sorted()
                    .toList();
        }
    }

    /** The distinct images a dataset names, in order of first mention. */
    static List<String> datasetImages(Path file) {
        Set<String> paths = new LinkedHashSet<>();
        Datasets.read(file).forEach(sample -> paths.addAll(sample.images()));
        return List.copyOf(paths);
    }
}
