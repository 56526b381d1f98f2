package io.tributary.model.npy;

import io.tributary.model.safetensors.HalfFloats;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One NumPy array as {@code np.save} writes it: a dtype ({@code descr}, e.g. {@code <f4}), a C-order shape and the
 * raw bytes. Reads the dtypes the clustering files use: little-endian floats ({@code <f2 <f4 <f8}), integers
 * ({@code <i4 <i8 <u4 |u1 |i1}) and fixed-width unicode strings ({@code <U n}, image paths in {@code .npz}).
 */
public record NpyArray(String descr, long[] shape, ByteBuffer data) {

    public NpyArray {
        shape = shape.clone();
        data = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long expected = Arrays.stream(shape).reduce(1, (a, b) -> a * b) * itemSize(descr);
        if (data.remaining() != expected) {
            throw new IllegalArgumentException("dtype " + descr + " and shape " + Arrays.toString(shape) + " need "
                    + expected + " bytes, found " + data.remaining());
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    }

    /** A float32 matrix, as {@code np.save(path, array.astype(np.float32))} writes it. */
    public static NpyArray ofMatrix(float[][] rows) {
        int columns = rows.length == 0 ? 0 : rows[0].length;
        ByteBuffer bytes = ByteBuffer.allocate(rows.length * columns * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] row : rows) {
            if (row.length != columns) {
                throw new IllegalArgumentException("rows of different lengths");
            }
            for (float value : row) {
                bytes.putFloat(value);
            }
        }
        return new NpyArray("<f4", new long[] {rows.length, columns}, bytes.flip());
    }

    /** An int64 vector, NumPy's default integer (cluster labels, a fine-to-coarse mapping). */
    public static NpyArray ofLongs(int[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int value : values) {
            bytes.putLong(value);
        }
        return new NpyArray("<i8", new long[] {values.length}, bytes.flip());
    }

    /** A fixed-width unicode vector ({@code <U n}, UTF-32), as NumPy stores a list of paths. */
    public static NpyArray ofStrings(String[] values) {
        int width = Math.max(
                1,
                Arrays.stream(values)
                        .mapToInt(v -> v.codePointCount(0, v.length()))
                        .max()
                        .orElse(1));
        ByteBuffer bytes = ByteBuffer.allocate(values.length * width * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (String value : values) {
            int[] codePoints = value.codePoints().toArray();
            for (int c = 0; c < width; c++) {
                bytes.putInt(c < codePoints.length ? codePoints[c] : 0);
            }
        }
        return new NpyArray("<U" + width, new long[] {values.length}, bytes.flip());
    }

    /** The values of a 2-D float array, as rows; any float dtype widens or narrows to float32. */
    public float[][] toMatrix() {
        if (shape.length != 2) {
            throw new IllegalArgumentException("expected a 2-D array [N, d], found shape " + Arrays.toString(shape));
        }
        int rows = Math.toIntExact(shape[0]);
        int columns = Math.toIntExact(shape[1]);
        float[][] matrix = new float[rows][columns];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < columns; c++) {
                matrix[r][c] = floatAt((long) r * columns + c);
            }
        }
        return matrix;
    }

    /** The values of a 1-D integer array. */
    public int[] toInts() {
        if (shape.length != 1) {
            throw new IllegalArgumentException("expected a 1-D array, found shape " + Arrays.toString(shape));
        }
        int[] values = new int[Math.toIntExact(shape[0])];
        for (int i = 0; i < values.length; i++) {
            values[i] = switch (descr) {
                case "<i8", "<u8" -> Math.toIntExact(data.getLong(8 * i));
                case "<i4", "<u4" -> data.getInt(4 * i);
                case "|i1" -> data.get(i);
                case "|u1" -> data.get(i) & 0xFF;
                default -> throw new IllegalArgumentException("expected integers, found dtype " + descr);
            };
        }
        return values;
    }

    /** The values of a 1-D unicode array. */
    public String[] toStrings() {
        if (!descr.startsWith("<U") || shape.length != 1) {
            throw new IllegalArgumentException(
                    "expected a 1-D unicode array, found " + descr + " " + Arrays.toString(shape));
        }
        int width = Integer.parseInt(descr.substring(2));
        String[] values = new String[Math.toIntExact(shape[0])];
        for (int i = 0; i < values.length; i++) {
            StringBuilder text = new StringBuilder();
            for (int c = 0; c < width; c++) {
                int codePoint = data.getInt((i * width + c) * 4);
                if (codePoint == 0) {
                    break;
                }
                text.appendCodePoint(codePoint);
            }
            values[i] = text.toString();
        }
        return values;
    }

    private float floatAt(long index) {
        int i = Math.toIntExact(index);
        return switch (descr) {
            case "<f4" -> data.getFloat(4 * i);
            case "<f8" -> (float) data.getDouble(8 * i);
            case "<f2" -> HalfFloats.fromF16(data.getShort(2 * i));
            default -> throw new IllegalArgumentException("expected float16, float32 or float64, found dtype " + descr);
        };
    }

    static int itemSize(String descr) {
        if (descr.startsWith("<U")) {
            return 4 * Integer.parseInt(descr.substring(2));
        }
        return switch (descr) {
            case "<f2" -> 2;
            case "<f4", "<i4", "<u4" -> 4;
            case "<f8", "<i8", "<u8" -> 8;
            case "|i1", "|u1", "|b1" -> 1;
            default ->
                throw new IllegalArgumentException("unsupported dtype '" + descr + "' (big-endian or object "
                        + "arrays cannot be read; save little-endian numbers)");
        };
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }
}
