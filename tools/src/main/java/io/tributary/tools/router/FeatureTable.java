package io.tributary.tools.router;

import io.tributary.model.npy.Npy;
import io.tributary.model.npy.NpyArray;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsFile;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.TensorInfo;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Image features with the path of each image, in the files the tools exchange: safetensors (tensor
 * {@code features} [N, d], paths as a JSON list in the {@code image_paths} metadata), the paper's {@code .npz}
 * ({@code features}, {@code image_paths}) or a bare {@code .npy} [N, d] (no paths).
 */
record FeatureTable(List<String> imagePaths, float[][] features) {

    private static final ObjectMapper JSON = new ObjectMapper();

    int dimension() {
        return features.length == 0 ? 0 : features[0].length;
    }

    /** Each path's row, for looking features up by the image a sample names. */
    Map<String, float[]> byPath() {
        Map<String, float[]> rows = new LinkedHashMap<>();
        for (int i = 0; i < imagePaths.size(); i++) {
            rows.put(imagePaths.get(i), features[i]);
        }
        return rows;
    }

    void write(Path file) throws IOException {
        String name = file.getFileName().toString();
        if (name.endsWith(".npy")) {
            Npy.write(file, NpyArray.ofMatrix(features));
        } else if (name.endsWith(".npz")) {
            Npy.writeNpz(
                    file,
                    Map.of(
                            "features",
                            NpyArray.ofMatrix(features),
                            "image_paths",
                            NpyArray.ofStrings(imagePaths.toArray(String[]::new))));
        } else {
            float[] flat = new float[features.length * dimension()];
            for (int i = 0; i < features.length; i++) {
                System.arraycopy(features[i], 0, flat, i * dimension(), dimension());
            }
            SafetensorsWriter.write(
                    file,
                    List.of(new SafetensorsWriter.Tensor(
                            "features", SafetensorsDType.F32, new long[] {features.length, dimension()}, flat)),
                    Map.of("image_paths", JSON.writeValueAsString(imagePaths)));
        }
    }

    static FeatureTable read(Path file) throws IOException {
        String name = file.getFileName().toString();
        if (name.endsWith(".npy")) {
            float[][] features = Npy.read(file).toMatrix();
            return new FeatureTable(List.of(), features);
        }
        if (name.endsWith(".npz")) {
            Map<String, NpyArray> arrays = Npy.readNpz(file);
            if (!arrays.containsKey("features")) {
                throw new IllegalArgumentException(file + ": no 'features' array");
            }
            List<String> paths = arrays.containsKey("image_paths")
                    ? List.of(arrays.get("image_paths").toStrings())
                    : List.of();
            return new FeatureTable(paths, arrays.get("features").toMatrix());
        }
        SafetensorsFile safetensors = SafetensorsFile.open(file);
        TensorInfo info = safetensors.tensors().get("features");
        if (info == null || info.shape().length != 2 || info.dtype() != SafetensorsDType.F32) {
            throw new IllegalArgumentException(file + ": expected a float32 tensor 'features' [N, d]");
        }
        int rows = Math.toIntExact(info.shape()[0]);
        int columns = Math.toIntExact(info.shape()[1]);
        ByteBuffer bytes = safetensors.map(info);
        float[][] features = new float[rows][columns];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < columns; j++) {
                features[i][j] = bytes.getFloat(4 * (i * columns + j));
            }
        }
        String paths = safetensors.metadata().get("image_paths");
        List<String> imagePaths = paths == null ? List.of() : List.of(JSON.readValue(paths, String[].class));
        return new FeatureTable(imagePaths, features);
    }
}
