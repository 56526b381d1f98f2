package io.tributary.tools.fitting;

import io.tributary.routing.mixing.Weights;
import io.tributary.routing.router.Classifier;
import io.tributary.tools.clustering.Cosine;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class SoftmaxRegressionTest {

    private static final int CLASSES = 4;
    private static final int DIMENSION = 12;

    @Test
    void reachesTheHeldOutAccuracyOfAnIndependentNearestMeanClassifier() {
        Random random = new Random(4);
        float[][] centroids = gaussian(random, CLASSES, 1);
        float[][] train = gaussian(random, 2000, 3); // unnormalised, as raw CLIP embeddings are
        float[][] test = gaussian(random, 1000, 3);
        int[] trainLabels = noisy(Cosine.argmax(train, centroids), random);
        int[] testLabels = Cosine.argmax(test, centroids);

        Classifier classifier = new SoftmaxRegression(300, 2.0, 1e-4).fit(train, trainLabels, CLASSES);
        int correct = 0;
        for (int i = 0; i < test.length; i++) {
            correct += Weights.argmax(classifier.logits(test[i])) == testLabels[i] ? 1 : 0;
        }
        double accuracy = (double) correct / test.length;

        float[][] classMeans = new float[CLASSES][DIMENSION];
        float[][] unit = Cosine.normalizeRows(train);
        for (int i = 0; i < unit.length; i++) {
            for (int j = 0; j < DIMENSION; j++) {
                classMeans[trainLabels[i]][j] += unit[i][j];
            }
        }
        int[] nearestMean = Cosine.argmax(test, classMeans);
        int independent = 0;
        for (int i = 0; i < test.length; i++) {
            independent += nearestMean[i] == testLabels[i] ? 1 : 0;
        }
        assertThat(accuracy)
                .isGreaterThanOrEqualTo((double) independent / test.length - 0.02)
                .isGreaterThan(0.85);
        assertThat(classifier.normalizeInput()).isTrue();
    }

    /** 10% of the labels replaced by random ones. */
    private static int[] noisy(int[] labels, Random random) {
        int[] result = labels.clone();
        for (int i = 0; i < result.length; i++) {
            if (random.nextDouble() < 0.1) {
                result[i] = random.nextInt(CLASSES);
            }
        }
        return result;
    }

    private static float[][] gaussian(Random random, int rows, double scale) {
        float[][] values = new float[rows][DIMENSION];
        for (float[] row : values) {
            for (int j = 0; j < DIMENSION; j++) {
                row[j] = (float) (random.nextGaussian() * scale);
            }
        }
        return values;
    }
}
