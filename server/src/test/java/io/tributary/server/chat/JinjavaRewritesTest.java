package io.tributary.server.chat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class JinjavaRewritesTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '@',
            quoteCharacter = '`',
            value = {
                // Qwen3's: the subtraction belongs to the argument, and the loop runs over the messages reversed.
                "{%- set ns = namespace(a=true, i=messages|length - 1) %} @ {%- set ns = namespace(a=(true), i=(messages|length - 1)) %}",
                "{%- for m in messages[::-1] %}                         @ {%- for m in messages|reverse %}",
                "{{ tool | tojson(indent=4) }}                          @ {{ tool | tojson(indent=(4)) }}",
                "{{ f(x, y = g(z=1) + 2) }}                             @ {{ f(x, y =( g(z=(1)) + 2)) }}",
                "{{ {'a': f(b=1)} }}                                    @ {{ {'a': f(b=(1))} }}",
                // Comparisons, groups after keywords, positional arguments, literals and text stay as they are.
                "{% if not(a == b) and (c >= d) %}x{% endif %}         @ {% if not(a == b) and (c >= d) %}x{% endif %}",
                "{{ f(a, b) }}                                          @ {{ f(a, b) }}",
                "{{ 'k=(v' ~ f(\"a=b\") ~ 'x[::-1]' }}                @ {{ 'k=(v' ~ f(\"a=b\") ~ 'x[::-1]' }}",
                "{{ d['k'](1) }} text f(a=1) [::-1] outside            @ {{ d['k'](1) }} text f(a=1) [::-1] outside",
                "{{ m[::-1][0] }}                                       @ {{ m[::-1][0] }}",
                // Llama 3.2's: a test binds tighter than not, and strftime_now is always there.
                "{%- if not tools is defined %}                         @ {%- if not (tools is defined) %}",
                "{% if not m.tool_call_id is not none %}               @ {% if not (m.tool_call_id is not none) %}",
                "{%- if strftime_now is defined %}                      @ {%- if true %}",
                "not x is defined, outside a tag                        @ not x is defined, outside a tag",
                // Whitespace control strips the text's whitespace beside the tag, newlines included.
                "`{%- if x %}\n    {{- 'A' -}}  \n  B{# c -#}\n D`        @ `{%- if x %}{{- 'A' -}}B{# c -#}D`",
            })
    void rewritesWhatJinjavaReadsOtherwiseAndNothingElse(String source, String expected) {
        assertThat(JinjavaRewrites.apply(source)).isEqualTo(expected);
    }
}
