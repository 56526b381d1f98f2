package io.tributary.model.tiny;

/**
 * GPT-2's byte-to-unicode table, which the tokenizers library's ByteLevel pre-tokenizer and decoder use: every byte
 * becomes a printable character, so BPE tokens are plain strings. Printable Latin-1 bytes map to themselves; the
 * other 68 bytes (controls, space, ...) map to U+0100 onwards, in byte order. Space becomes 'Ġ' (U+0120).
 */
final class ByteLevelAlphabet {

    private static final char[] BYTE_TO_CHAR = buildTable();

    private ByteLevelAlphabet() {}

    private static char[] buildTable() {
        char[] table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char) b : (char) next++;
        }
        return table;
    }

    /** The character standing for byte {@code b} (0..255). */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The bytes of {@code text} in UTF-8, each written as its alphabet character. */
    static String encode(byte[] bytes) {
        StringBuilder out = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            out.append(charOf(b));
        }
        return out.toString();
    }
}
