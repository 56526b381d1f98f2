package io.tributary.model.kernel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A TorchScript archive written without Python: the zip that {@code torch.jit.save} would write for a module with
 * no parameters, only methods. libtorch compiles the methods' source when the archive loads, so ATen ops DJL does
 * not expose (bf16 and weight-only int8 / int4 matmuls) can be called through the module.
 *
 * <p>The parts, each under {@code archive/}: {@code code/__torch__.py}, the TorchScript source of class
 * {@code __torch__.M}; {@code data.pkl}, a protocol-2 pickle of an instance of that class whose only state is
 * {@code training = False}; {@code constants.pkl}, an empty tuple; {@code version} and {@code byteorder}. Entries are
 * stored, not deflated, as {@code torch.jit.save} writes them.
 */
final class TorchScriptArchive {

    /** {@code pickle.dumps(M(training=False), protocol=2)} for a class {@code M} of module {@code __torch__}. */
    private static final byte[] INSTANCE = {
        (byte) 0x80,
        2,
        'c',
        '_',
        '_',
        't',
        'o',
        'r',
        'c',
        'h',
        '_',
        '_',
        '\n',
        'M',
        '\n',
        'q',
        0,
        ')',
        (byte) 0x81,
        'q',
        1,
        '}',
        'q',
        2,
        'X',
        8,
        0,
        0,
        0,
        't',
        'r',
        'a',
        'i',
        'n',
        'i',
        'n',
        'g',
        'q',
        3,
        (byte) 0x89,
        's',
        'b',
        '.'
    };
    /** {@code pickle.dumps((), protocol=2)}. */
    private static final byte[] EMPTY_TUPLE = {(byte) 0x80, 2, ')', '.'};

    private TorchScriptArchive() {}

    /** The archive of a module {@code __torch__.M} whose class body (methods, indented by two spaces) is given. */
    static byte[] of(String classBody) {
        String source = "class M(Module):\n  __parameters__ = []\n  __buffers__ = []\n  training : bool\n" + classBody;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            put(zip, "data.pkl", INSTANCE);
            put(zip, "code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
            put(zip, "constants.pkl", EMPTY_TUPLE);
            put(zip, "version", "3\n".getBytes(StandardCharsets.US_ASCII));
            put(zip, "byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // an in-memory stream does not fail
        }
        return bytes.toByteArray();
    }

    private static void put(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry entry = new ZipEntry("archive/" + name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(data.length);
        entry.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        entry.setCrc(crc.getValue());
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
    }
}
