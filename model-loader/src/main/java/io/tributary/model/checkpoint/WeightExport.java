package io.tributary.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The inverse of the load-time rewrites ({@link WeightFusion}): arrays as a model holds them, back to the checkpoint
 * tensors they were read from, so that a trained model is written in the layout it was loaded from.
 */
public final class WeightExport {

    private WeightExport() {}

    /**
     * Writes a checkpoint directory: {@code tensors} as {@code model.safetensors}, beside a copy of every other file
     * of the checkpoint the model was read from (config, tokenizer, chat template, preprocessor). The source's own
     * weight files and shard index are not copied.
     */
    public static void writeCheckpoint(Path source, Path directory, List<Tensor> tensors) throws IOException {
        Files.createDirectories(directory);
        try (Stream<Path> files = Files.list(source)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String name = file.getFileName().toString();
                if (!name.endsWith(".safetensors") && !name.endsWith(".safetensors.index.json")) {
                    Files.copy(file, directory.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        SafetensorsWriter.write(directory.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
    }

    /** One array as one float32 tensor of the given checkpoint shape. */
    public static Tensor tensor(String name, NDArray array, long... shape) {
        return new Tensor(name, SafetensorsDType.F32, shape, floats(array));
    }

    /** One array as one float32 tensor of its own shape. */
    public static Tensor tensor(String name, NDArray array) {
        return tensor(name, array, array.getShape().getShape());
    }

    /**
     * A fused projection (weight [R, C] or bias [R]) split back into its pieces: {@code names[i]} takes the next
     * {@code rows[i]} rows; the first piece is divided by {@code leadingScale}, which the loader multiplied in.
     */
    public static List<Tensor> splitRows(NDArray fused, List<String> names, long[] rows, float leadingScale) {
        float[] values = floats(fused);
        long columns = fused.getShape().dimension() == 1 ? 1 : fused.getShape().get(1);
        List<Tensor> tensors = new ArrayList<>(names.size());
        int offset = 0;
        for (int i = 0; i < names.size(); i++) {
            int length = Math.toIntExact(rows[i] * columns);
            float[] piece = new float[length];
            System.arraycopy(values, offset, piece, 0, length);
            if (i == 0) {
                for (int j = 0; j < length; j++) {
                    piece[j] /= leadingScale;
                }
            }
            long[] shape = fused.getShape().dimension() == 1 ? new long[] {rows[i]} : new long[] {rows[i], columns};
            tensors.add(new Tensor(names.get(i), SafetensorsDType.F32, shape, piece));
            offset += length;
        }
        return tensors;
    }

    private static float[] floats(NDArray array) {
        if (array.getDataType() == DataType.FLOAT32) {
            return array.toFloatArray();
        }
        try (NDArray converted = array.toType(DataType.FLOAT32, false)) {
            return converted.toFloatArray();
        }
    }
}
