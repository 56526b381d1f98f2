package io.tributary.tools.train.synthetic;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A small multimodal task for training tiny vision-language experts: 32×32 images from four visually distinct
 * domains (shapes, digits, colours, bars), each with a question only the image answers and a one-word answer.
 * Each sample depends on (seed, domain, split, index) alone, so changing a split's size leaves every other sample as
 * it was, and the splits draw from different streams.
 */
public final class SyntheticTask {

    public static final int IMAGE_SIZE = 32;

    public enum Split {
        TRAIN,
        VALIDATION,
        TEST;

        /** The name in file names: {@code train}, {@code validation}, {@code test}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final List<SyntheticDomain> DOMAINS =
            List.of(new ShapesDomain(), new DigitsDomain(), new ColoursDomain(), new BarsDomain());

    private SyntheticTask() {}

    /** The domains' names, in the order {@link #write} interleaves them. */
    public static List<String> domains() {
        return DOMAINS.stream().map(SyntheticDomain::name).toList();
    }

    /** A domain's questions and their possible answers. */
    public static List<SyntheticQuestion> questions(String domain) {
        return domain(domain).questions();
    }

    /** Renders one sample in memory, exactly as {@link #write} writes it. */
    public static RenderedSample render(long seed, String domain, Split split, int index) {
        if (index < 0) {
            throw new IllegalArgumentException("a sample index is >= 0, not " + index);
        }
        SyntheticDomain.Drawing drawing = domain(domain).draw(new SplittableRandom(mix(seed, domain, split, index)));
        return new RenderedSample(
                id(domain, split, index), domain, drawing.image().pixels(), drawing.question(), drawing.answer());
    }

    /**
     * Writes {@code images/<domain>/<split>-<index>.png} and {@code train.json}, {@code validation.json},
     * {@code test.json} (LLaVA's layout, image paths relative to {@code out}). Samples are interleaved by index
     * (shapes 0, digits 0, colours 0, bars 0, shapes 1, ...) so that any prefix of a file covers every domain.
     */
    public static void write(Path out, long seed, int trainPerDomain, int validationPerDomain, int testPerDomain)
            throws IOException {
        int[] counts = {trainPerDomain, validationPerDomain, testPerDomain};
        for (int count : counts) {
            if (count < 0) {
                throw new IllegalArgumentException("samples per domain must be >= 0, not " + count);
            }
        }
        for (String domain : domains()) {
            Files.createDirectories(out.resolve("images").resolve(domain));
        }
        for (Split split : Split.values()) {
            List<SyntheticSample> samples = new ArrayList<>();
            for (int index = 0; index < counts[split.ordinal()]; index++) {
                for (String domain : domains()) {
                    RenderedSample rendered = render(seed, domain, split, index);
                    String imagePath =
                            String.format(Locale.ROOT, "images/%s/%s-%05d.png", domain, split.label(), index);
                    if (!ImageIO.write(
                            rendered.image(), "png", out.resolve(imagePath).toFile())) {
                        throw new IOException("no PNG writer in this JDK");
                    }
                    samples.add(new SyntheticSample(
                            rendered.id(), domain, imagePath, rendered.question(), rendered.answer()));
                }
            }
            SyntheticJson.write(jsonFile(out, split), samples);
        }
    }

    /** Where {@link #write} puts a split's samples. */
    public static Path jsonFile(Path out, Split split) {
        return out.resolve(split.label() + ".json");
    }

    /** Reads samples in the layout {@link #write} writes; a file in another layout is an IllegalArgumentException. */
    public static List<SyntheticSample> read(Path jsonFile) throws IOException {
        return SyntheticJson.read(jsonFile);
    }

    static String id(String domain, Split split, int index) {
        return String.format(Locale.ROOT, "%s-%s-%05d", domain, split.label(), index);
    }

    /**
     * One random stream per sample. Names rather than positions feed the hash (String.hashCode is fixed by the
     * language), so reordering the domains or splits in code changes no sample.
     */
    static long mix(long seed, String domain, Split split, int index) {
        long state = splitMix(seed);
        state = splitMix(state ^ domain.hashCode());
        state = splitMix(state ^ split.label().hashCode());
        return splitMix(state ^ index);
    }

    /** SplitMix64's finaliser: every input bit flips about half of the output bits. */
    private static long splitMix(long value) {
        long z = value + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static SyntheticDomain domain(String name) {
        return DOMAINS.stream()
                .filter(domain -> domain.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(
                        "no synthetic domain '" + name + "'; the domains are " + domains()));
    }
}
