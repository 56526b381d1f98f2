package io.tributary.model.npy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * NumPy's file formats: {@code .npy} (one array: magic, version, a Python-dict header, raw C-order bytes) and
 * {@code .npz} (a zip of {@code .npy} files, stored or deflated). Writes format 1.0 with the header padded to 64
 * bytes, as {@code np.save} does.
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    private Npy() {}

    /** @throws IOException if the file cannot be read; IllegalArgumentException if it is not a readable array */
    public static NpyArray read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    public static void write(Path file, NpyArray array) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            write(out, array);
        }
    }

    /** The arrays of an {@code .npz}, by name without the {@code .npy} suffix. */
    public static Map<String, NpyArray> readNpz(Path file) throws IOException {
        Map<String, NpyArray> arrays = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(file))) {
            for (ZipEntry entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
                String name = entry.getName().endsWith(".npy")
                        ? entry.getName().substring(0, entry.getName().length() - 4)
                        : entry.getName();
                arrays.put(name, read(zip, file + "!" + entry.getName()));
            }
        }
        return arrays;
    }

    public static void writeNpz(Path file, Map<String, NpyArray> arrays) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            for (Map.Entry<String, NpyArray> array : arrays.entrySet()) {
                zip.putNextEntry(new ZipEntry(array.getKey() + ".npy"));
                write(zip, array.getValue());
                zip.closeEntry();
            }
        }
    }

    static NpyArray read(InputStream in, String source) throws IOException {
        byte[] prefix = in.readNBytes(8);
        if (prefix.length < 8 || !Arrays.equals(Arrays.copyOf(prefix, 6), MAGIC)) {
            throw new IllegalArgumentException(source + ": not a .npy file (no \\x93NUMPY magic)");
        }
        int major = prefix[6];
        byte[] lengthBytes = in.readNBytes(major == 1 ? 2 : 4);
        ByteBuffer length = ByteBuffer.wrap(Arrays.copyOf(lengthBytes, 4)).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = length.getInt();
        String header = new String(
                in.readNBytes(headerLength), major >= 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, source, "descr");
        if (group(FORTRAN, header, source, "fortran_order").equals("True")) {
            throw new IllegalArgumentException(source + ": Fortran-order arrays are not read; save with C order");
        }
        long[] shape = Arrays.stream(group(SHAPE, header, source, "shape").split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .mapToLong(Long::parseLong)
                .toArray();
        long bytes = Arrays.stream(shape).reduce(1, (a, b) -> a * b) * NpyArray.itemSize(descr);
        byte[] data = in.readNBytes(Math.toIntExact(bytes));
        if (data.length != bytes) {
            throw new IllegalArgumentException(source + ": truncated: " + data.length + " of " + bytes + " data bytes");
        }
        return new NpyArray(descr, shape, ByteBuffer.wrap(data));
    }

    static void write(OutputStream out, NpyArray array) throws IOException {
        long[] shape = array.shape();
        String dimensions = shape.length == 1
                ? shape[0] + ","
                : String.join(
                        ", ", Arrays.stream(shape).mapToObj(Long::toString).toList());
        StringBuilder header = new StringBuilder(
                "{'descr': '" + array.descr() + "', 'fortran_order': False, " + "'shape': (" + dimensions + "), }");
        while ((MAGIC.length + 4 + header.length() + 1) % 64 != 0) {
            header.append(' ');
        }
        header.append('\n');
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        head.write(MAGIC);
        head.write(new byte[] {1, 0, (byte) (header.length() & 0xFF), (byte) (header.length() >> 8)});
        head.write(NpyArray.ascii(header.toString()));
        out.write(head.toByteArray());
        ByteBuffer data = array.data();
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        out.write(bytes);
    }

    private static String group(Pattern pattern, String header, String source, String key) {
        Matcher matcher = pattern.matcher(header);
        if (!matcher.find()) {
            throw new IllegalArgumentException(source + ": .npy header has no '" + key + "': " + header.trim());
        }
        return matcher.group(1);
    }
}
