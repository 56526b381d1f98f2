package io.tributary.tools.router;

import io.tributary.tools.clustering.Cosine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The router's encoder pretraining: afterwards the features of images asked the same questions are closer to each
 * other than to the others', which they are not before, and the encoder is a CLIP checkpoint {@code features} reads.
 */
class TrainEncoderCommandTest {

    @TempDir
    Path dir;

    @Test
    void pretrainingGathersTheImagesOfADomain() throws Exception {
        Path data = dir.resolve("data");
        assertThat(ToolRun.of(
                                "synthetic-data",
                                "--out",
                                data.toString(),
                                "--train-per-domain",
                                "24",
                                "--validation-per-domain",
                                "0",
                                "--test-per-domain",
                                "0")
                        .code())
                .isZero();
        Path dataset = data.resolve("train.json");
        assertThat(ToolRun.of(
                                "train-encoder",
                                "--dataset",
                                dataset.toString(),
                                "-o",
                                dir.resolve("before").toString(),
                                "--steps",
                                "1",
                                "--lr",
                                "1e-9")
                        .code())
                .isZero();
        assertThat(ToolRun.of(
                                "train-encoder",
                                "--dataset",
                                dataset.toString(),
                                "-o",
                                dir.resolve("after").toString(),
                                "--steps",
                                "60",
                                "--batch-size",
                                "32")
                        .code())
                .isZero();

        double before = separation(dataset, dir.resolve("before"));
        double after = separation(dataset, dir.resolve("after"));
        assertThat(after)
                .as("within-domain minus between-domain cosine, before %.3f", before)
                .isGreaterThan(0.3)
                .isGreaterThan(before + 0.2);
    }

    /** Mean cosine of same-domain pairs minus that of different-domain pairs, on the encoder's features. */
    private double separation(Path dataset, Path encoder) throws Exception {
        Path features = dir.resolve(encoder.getFileName() + ".safetensors");
        assertThat(ToolRun.of(
                                "features",
                                "--clip",
                                encoder.toString(),
                                "--dataset",
                                dataset.toString(),
                                "-o",
                                features.toString())
                        .code())
                .isZero();
        Map<String, float[]> byPath = FeatureTable.read(features).byPath();
        List<Datasets.Sample> samples = Datasets.read(dataset);
        float[][] units = Cosine.normalizeRows(samples.stream()
                .map(sample -> byPath.get(sample.images().get(0)))
                .toArray(float[][]::new));
        float[][] cosines = Cosine.similarities(units, units);
        double same = 0;
        double different = 0;
        int sameCount = 0;
        int differentCount = 0;
        for (int i = 0; i < samples.size(); i++) {
            for (int j = i + 1; j < samples.size(); j++) {
                double cosine = cosines[i][j];
                if (domain(samples.get(i)).equals(domain(samples.get(j)))) {
                    same += cosine;
                    sameCount++;
                } else {
                    different += cosine;
                    differentCount++;
                }
            }
        }
        return same / sameCount - different / differentCount;
    }

    private static String domain(Datasets.Sample sample) {
        return sample.node().path("domain").asString();
    }
}
