package io.tributary.model.tokenizer;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class TokenBytesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void byteLevelTokensAreSpelledOneCharacterPerByte() {
        // "Ġ" is the space, "Ċ" the newline, "Ã©" the two bytes of é; <|im_end|> is special, <think> is not.
        byte[][] bytes = TokenBytes.of(JSON.readTree("""
                                {"model": {"type": "BPE", "vocab": {"Ġthe": 0, "Ċ": 1, "Ã©": 2, "Ã": 3}},
                                 "decoder": {"type": "ByteLevel"},
                                 "added_tokens": [{"id": 4, "content": "<|im_end|>", "special": true},
                                                  {"id": 5, "content": "<think>", "special": false}]}"""), 6).orElseThrow();

        assertThat(bytes[0]).isEqualTo(" the".getBytes(StandardCharsets.UTF_8));
        assertThat(bytes[1]).containsExactly('\n');
        assertThat(bytes[2]).isEqualTo("é".getBytes(StandardCharsets.UTF_8));
        assertThat(bytes[3]).containsExactly((byte) 0xC3);
        assertThat(bytes[4]).isNull();
        assertThat(bytes[5]).isEqualTo("<think>".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void sentencePieceTokensTurnTheirSpaceMarkIntoASpaceAndByteTokensIntoTheirByte() {
        byte[][] bytes = TokenBytes.of(JSON.readTree("""
                                {"model": {"type": "BPE", "vocab": {"▁the": 0, "<0x0A>": 1, "ing": 2}},
                                 "decoder": {"type": "Sequence", "decoders": [{"type": "Replace"},
                                             {"type": "ByteFallback"}, {"type": "Fuse"}]}}"""), 3).orElseThrow();

        assertThat(bytes[0]).isEqualTo(" the".getBytes(StandardCharsets.UTF_8));
        assertThat(bytes[1]).containsExactly('\n');
        assertThat(bytes[2]).isEqualTo("ing".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aVocabularyNotSpelledOutTokenByTokenHasNoBytes() {
        assertThat(TokenBytes.of(JSON.readTree("{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", 0.0]]}}"), 1))
                .isEmpty();
    }
}
