package io.tributary.server.chat;

import io.tributary.routing.ImageInput;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChatTemplateTest {

    private static final ChatMessage.Image IMAGE = new ChatMessage.Image(new ImageInput(new byte[] {1}, "image/png"));

    @Test
    void aTemplateThatReadsContentAsAStringGetsImagesAsPlaceholdersInTheText() {
        ChatTemplate template = new ChatTemplate("{% for m in messages %}[{{ m['content'] }}]{% endfor %}", Map.of());
        assertThat(template.readsContentAsParts()).isFalse();
        String rendered = template.render(
                List.of(new ChatMessage("user", List.of(IMAGE, new ChatMessage.Text("What is it?")))), true, "<image>");
        assertThat(rendered).isEqualTo("[<image>\nWhat is it?]");
    }

    @Test
    void aTemplateThatLoopsOverContentGetsTypedParts() {
        ChatTemplate template = new ChatTemplate(
                "{% for m in messages %}{% for part in m.content %}"
                        + "{{ part.type }}:{{ part.text }};{% endfor %}{% endfor %}",
                Map.of());
        assertThat(template.readsContentAsParts()).isTrue();
        String rendered = template.render(
                List.of(new ChatMessage("user", List.of(new ChatMessage.Text("look"), IMAGE))), true, "<image>");
        assertThat(rendered).isEqualTo("text:look;image:;");
    }

    @Test
    void specialTokensAndTheGenerationPromptFlagAreInScope() {
        ChatTemplate template = new ChatTemplate(
                "{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}"
                        + "{% endfor %}{% if add_generation_prompt %}>{% endif %}",
                Map.of("bos_token", "<s>", "eos_token", "</s>"));
        assertThat(template.render(List.of(ChatMessage.text("user", "hi")), true, ""))
                .isEqualTo("<s>hi</s>>");
        assertThat(template.render(List.of(ChatMessage.text("user", "hi")), false, ""))
                .isEqualTo("<s>hi</s>");
    }

    @Test
    void raiseExceptionRefusesTheConversationInTheTemplatesOwnWords() {
        ChatTemplate template = new ChatTemplate(
                "{% if messages[0].role != 'user' %}"
                        + "{{ raise_exception('Conversations must start with a user turn') }}{% endif %}ok",
                Map.of());
        assertThatThrownBy(() -> template.render(List.of(ChatMessage.text("assistant", "hi")), true, ""))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessage("Conversations must start with a user turn");
        assertThat(template.render(List.of(ChatMessage.text("user", "hi")), true, ""))
                .isEqualTo("ok");
    }

    @Test
    void pythonStringMethodsWorkAsInPython() {
        ChatTemplate template = new ChatTemplate(
                "{% set t = messages[0].content %}{{ t.strip() }}|{{ t.upper() }}|"
                        + "{{ t.lstrip() }}|{{ t.rstrip() }}|{{ t.strip().startswith('a b') }}|{{ t.split() | length }}|"
                        + "{{ t.replace(' ', '_') }}|{{ 'x-y-'.split('-') | length }}|{{ '  ab'.strip(' a') }}|"
                        + "{{ 'hello world'.title() }}",
                Map.of());
        assertThat(template.render(List.of(ChatMessage.text("user", " a b ")), false, ""))
                .isEqualTo("a b| A B |a b | a b|true|2|_a_b_|3|b|Hello World");
    }

    @Test
    void strftimeNowFormatsToday() {
        ChatTemplate template = new ChatTemplate("{{ strftime_now('%Y-%m-%d') }}", Map.of());
        assertThat(template.render(List.of(ChatMessage.text("user", "x")), false, ""))
                .isIn(LocalDate.now().toString(), LocalDate.now().plusDays(1).toString());
    }

    @Test
    void rendersOnManyThreadsAtOnceAreEachTheirOwn() throws Exception {
        // A macro and a set variable per render: what one render defines must not leak into another's.
        ChatTemplate template = new ChatTemplate(
                "{% macro tag(r) %}<{{ r }}>{% endmacro %}{% set last = namespace(role='') %}"
                        + "{% for m in messages %}{{ tag(m['role']) }}{{ m['content'] }}{% set last.role = m['role'] %}"
                        + "{% endfor %}|{{ last.role }}",
                Map.of());
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Boolean>> same = new java.util.ArrayList<>();
            for (int i = 0; i < 400; i++) {
                String said = "message " + i;
                String role = i % 2 == 0 ? "user" : "system";
                same.add(threads.submit(() -> template.render(List.of(ChatMessage.text(role, said)), false, "")
                        .equals("<" + role + ">" + said + "|" + role)));
            }
            for (var rendered : same) {
                assertThat(rendered.get()).isTrue();
            }
        } finally {
            threads.shutdown();
        }
    }

    @Test
    void aTemplateThatCannotRenderSaysWhere() {
        ChatTemplate template = new ChatTemplate("line one\n{{ messages[0].content.no_such_method() }}", Map.of());
        assertThatThrownBy(() -> template.render(List.of(ChatMessage.text("user", "x")), false, ""))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("line 2");
    }

    @Test
    void testsReadAsPythonsJinjaReadsThem() {
        ChatTemplate template = new ChatTemplate(
                "{% if not tools is defined %}{% set tools = none %}{% endif %}"
                        + "{{ tools is not none }} {{ 'ab' is iterable }} {{ strftime_now is defined }}",
                Map.of());

        assertThat(template.render(List.of(ChatMessage.text("user", "x")), true, "<image>", List.of(Map.of("a", 1))))
                .as("tools given; a string is iterable; strftime_now is a function the template may call")
                .isEqualTo("true true true");
        assertThat(template.render(List.of(ChatMessage.text("user", "x")), true, "<image>", null))
                .startsWith("false");
    }
}
