package io.tributary.model.tokenizer;

import tools.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Each token's bytes, read from {@code tokenizer.json} the way its decoder would produce them:
 *
 * <ul>
 *   <li>byte-level BPE (GPT-2, Llama 3, Qwen): every byte is spelled as one printable character; the map is
 *       inverted;
 *   <li>SentencePiece-style (Llama 2, Mistral, Gemma): {@code ▁} is a space and {@code <0x0A>} a raw byte.
 * </ul>
 *
 * Added tokens that are not special are their literal text; special ones have no bytes ({@code null}).
 */
final class TokenBytes {

    private static final char SENTENCEPIECE_SPACE = '\u2581';

    private TokenBytes() {}

    /** Bytes per token id, or empty when the vocabulary is of a model type this reader does not know. */
    static Optional<byte[][]> of(JsonNode json, int vocabularySize) {
        JsonNode vocab = json.path("model").path("vocab");
        if (!vocab.isObject()) {
            return Optional.empty(); // Unigram and WordPiece vocabularies are not spelled out byte by byte
        }
        boolean byteLevel = json.path("decoder").toString().contains("\"ByteLevel\"");
        Map<Character, Byte> byteOfChar = byteLevel ? byteLevelAlphabet() : Map.of();
        byte[][] bytes = new byte[vocabularySize][];
        for (Map.Entry<String, JsonNode> entry : vocab.properties()) {
            int id = entry.getValue().asInt();
            if (id >= 0 && id < vocabularySize) {
                bytes[id] = byteLevel ? fromByteLevel(entry.getKey(), byteOfChar) : fromSentencePiece(entry.getKey());
            }
        }
        for (JsonNode added : json.path("added_tokens")) {
            int id = added.path("id").asInt(-1);
            if (id >= 0 && id < vocabularySize) {
                bytes[id] = added.path("special").asBoolean(false)
                        ? null
                        : added.path("content").asString().getBytes(StandardCharsets.UTF_8);
            }
        }
        return Optional.of(bytes);
    }

    /**
     * GPT-2's byte-to-character table: printable Latin-1 bytes stand for themselves, the other 68 bytes take the
     * characters from U+0100 on, in byte order.
     */
    private static Map<Character, Byte> byteLevelAlphabet() {
        Map<Character, Byte> table = new HashMap<>();
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF;
            char c = printable ? (char) b : (char) (256 + shifted++);
            table.put(c, (byte) b);
        }
        return table;
    }

    private static byte[] fromByteLevel(String token, Map<Character, Byte> byteOfChar) {
        byte[] bytes = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            Byte b = byteOfChar.get(token.charAt(i));
            if (b == null) {
                return token.getBytes(StandardCharsets.UTF_8); // not byte-level spelled: an added piece of text
            }
            bytes[i] = b;
        }
        return bytes;
    }

    private static byte[] fromSentencePiece(String token) {
        if (token.length() == 6 && token.startsWith("<0x") && token.endsWith(">")) {
            try {
                return new byte[] {(byte) Integer.parseInt(token.substring(3, 5), 16)};
            } catch (NumberFormatException e) {
                // a piece that only looks like a byte
            }
        }
        return token.replace(SENTENCEPIECE_SPACE, ' ').getBytes(StandardCharsets.UTF_8);
    }
}
