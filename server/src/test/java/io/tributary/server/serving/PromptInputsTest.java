package io.tributary.server.serving;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PromptInputsTest {

    private static final String PNG =
            "data:image/png;base64," + Base64.getEncoder().encodeToString("png bytes".getBytes(StandardCharsets.UTF_8));
    private static final String JPEG = "data:image/jpeg;base64,"
            + Base64.getEncoder().encodeToString("jpeg bytes".getBytes(StandardCharsets.UTF_8));

    @Test
    void imagesBecomePlaceholdersInOrder() {
        PromptInputs parsed = PromptInputs.parse("Compare ![a cat](" + PNG + ") with ![](" + JPEG + ")?", "<image>", 8);

        assertThat(parsed.text()).isEqualTo("Compare <image> with <image>?");
        assertThat(parsed.images()).hasSize(2);
        assertThat(new String(parsed.images().get(0).bytes(), StandardCharsets.UTF_8))
                .isEqualTo("png bytes");
        assertThat(parsed.images().get(1).mediaType()).isEqualTo("image/jpeg");
    }

    @Test
    void textWithoutImagesIsUntouched() {
        String text = "Markdown [links](http://example.com) and ! marks stay as they are ![]";
        PromptInputs parsed = PromptInputs.parse(text, null, 8);
        assertThat(parsed.text()).isEqualTo(text);
        assertThat(parsed.images()).isEmpty();
    }

    @Test
    void refusesWhatCannotBeServedNamingTheImage() {
        assertThatThrownBy(() -> PromptInputs.parse("![](" + PNG + ")", null, 8))
                .hasMessageContaining("this mixture's experts read text only");
        assertThatThrownBy(() -> PromptInputs.parse("![](" + PNG + ") ![](https://example.com/cat.png)", "<image>", 8))
                .hasMessageContaining("image 2: only base64 data URIs are accepted");
        assertThatThrownBy(() -> PromptInputs.parse("![](data:image/webp;base64,AAAA)", "<image>", 8))
                .hasMessageContaining("image 1: unsupported media type image/webp");
        assertThatThrownBy(() -> PromptInputs.parse("![](data:image/png;base64,@@@@)", "<image>", 8))
                .hasMessageContaining("image 1: the data URI is not valid base64");
        assertThatThrownBy(() -> PromptInputs.parse("![](" + PNG + ")![](" + PNG + ")", "<image>", 1))
                .hasMessageContaining("at most 1 images");
    }

    @Test
    void aMalformedInlineImageIsRefusedNeverReadAsText() {
        for (String broken : new String[] {
            "Look: ![](data:image/png;base64,iVBOR w0KGgo=) what?", // a space inside
            "Look: ![](data:image/png;base64,iVBORw0KGgo=", // never closed
            "![](" + PNG + ") and ![x]( data:image/png;base64,\nAAAA)", // after a good one
            "![](DATA:image/png;base64,AA AA)"
        }) {
            assertThatThrownBy(() -> PromptInputs.parse(broken, "<image>", 8))
                    .as(broken)
                    .isInstanceOf(RequestValidationException.class)
                    .hasMessageContaining("an inline image must be written");
        }
    }
}
