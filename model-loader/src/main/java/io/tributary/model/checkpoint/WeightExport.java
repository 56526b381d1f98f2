package io.tributary.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.tributary.model.safetensors.SafetensorsDType;
import io.tributary.model.safetensors.SafetensorsWriter.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The inverse of the load-time rewrites ({@link WeightFusion}): arrays as a model holds them, back to the checkpoint
 * tensors they were read from, so that a trained model is written in the layout it was loaded from.
 */
public final class WeightExport {

    private WeightExport() {
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
