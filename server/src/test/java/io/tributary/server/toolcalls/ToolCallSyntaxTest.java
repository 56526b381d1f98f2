package io.tributary.server.toolcalls;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.ObjectMapper;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ToolCallSyntaxTest {

    private static final Set<String> TOOLS = Set.of("get_weather", "get_time");

    @Test
    void theSyntaxIsReadFromTheTemplate() {
        assertThat(ToolCallSyntax.of("... within <tool_call></tool_call> XML tags ..."))
                .isEqualTo(ToolCallSyntax.HERMES);
        assertThat(ToolCallSyntax.of("{\"name\": function name, \"parameters\": ...} Environment: ipython"))
                .isEqualTo(ToolCallSyntax.JSON);
        assertThat(ToolCallSyntax.of("{{ messages }}")).isEqualTo(ToolCallSyntax.HERMES);
    }

    @Test
    void hermesBlocksBecomeCallsAndTheTextBeforeThemTheContent() {
        ToolCallSyntax.Parsed parsed = ToolCallSyntax.HERMES.parse("""
                Let me look.
                <tool_call>
                {"name": "get_weather", "arguments": {"city": "Paris"}}
                </tool_call>
                <tool_call>
                {"name": "get_time", "arguments": {"zone": "CET"}}
                """, TOOLS);

        assertThat(parsed.content()).isEqualTo("Let me look.");
        assertThat(parsed.calls()).extracting(ToolCall::name).containsExactly("get_weather", "get_time");
        assertThat(parsed.calls().get(0).arguments()).isEqualTo("{\"city\":\"Paris\"}");
        assertThat(parsed.calls().get(0).id())
                .startsWith("call_")
                .isNotEqualTo(parsed.calls().get(1).id());
    }

    @Test
    void callsOfUnknownToolsOrBrokenJsonAreText() {
        String unknown = "<tool_call>{\"name\": \"rm_rf\", \"arguments\": {}}</tool_call>";
        String broken = "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": </tool_call>";

        assertThat(ToolCallSyntax.HERMES.parse(unknown, TOOLS).calls()).isEmpty();
        assertThat(ToolCallSyntax.HERMES.parse(unknown, TOOLS).content()).isEqualTo(unknown);
        assertThat(ToolCallSyntax.HERMES.parse(broken, TOOLS).calls()).isEmpty();
    }

    @Test
    void llamaCallsAreTheWholeAnswerAsJson() {
        ToolCallSyntax.Parsed parsed = ToolCallSyntax.JSON.parse(
                "<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}}", TOOLS);
        assertThat(parsed.content()).isNull();
        assertThat(parsed.calls()).singleElement().satisfies(call -> {
            assertThat(call.name()).isEqualTo("get_weather");
            assertThat(call.arguments()).isEqualTo("{\"city\":\"Oslo\"}");
        });

        assertThat(ToolCallSyntax.JSON.parse("It is sunny in Oslo.", TOOLS).calls())
                .isEmpty();
    }

    @Test
    void templatesThatRequireNineCharacterIdsGetThem() {
        ToolRequest request = ToolRequest.of(
                new ObjectMapper().readTree("[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}]"),
                null);
        String call = "<tool_call>{\"name\": \"get_weather\", \"arguments\": {}}</tool_call>";

        assertThat(ToolCallReader.of(request, "... raise_exception(\"IDs should be alphanumeric with length 9!\")")
                        .read(call)
                        .calls()
                        .get(0)
                        .id())
                .matches("[A-Za-z0-9]{9}");
        assertThat(ToolCallReader.of(request, "<tool_call>")
                        .read(call)
                        .calls()
                        .get(0)
                        .id())
                .startsWith("call_");
    }
}
