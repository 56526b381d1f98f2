package io.tributary.model.router;

import io.tributary.model.ModelLoadException;
import io.tributary.model.npy.Npy;

import java.io.IOException;
import java.nio.file.Path;

/** The paper's clustering outputs, read as router artefacts: failures name the file. */
final class NpyFiles {

    private NpyFiles() {}

    static float[][] matrix(Path file) {
        try {
            return Npy.read(file).toMatrix();
        } catch (IOException | IllegalArgumentException e) {
            throw new ModelLoadException(file + ": " + e.getMessage(), e);
        }
    }

    /** A 1-D integer array with one entry per centroid. */
    static int[] labels(Path file, int centroids) {
        int[] labels;
        try {
            labels = Npy.read(file).toInts();
        } catch (IOException | IllegalArgumentException | ArithmeticException e) {
            throw new ModelLoadException(file + ": " + e.getMessage(), e);
        }
        if (labels.length != centroids) {
            throw new ModelLoadException(
                    file + ": maps " + labels.length + " fine centroids but there are " + centroids);
        }
        return labels;
    }
}
