package io.tributary.server.toolcalls;

import java.util.Set;

/**
 * Finds the calls of a request's tools in its answers, in the syntax of the checkpoint's template.
 *
 * @param nineCharacterIds whether calls get Mistral's ids (nine letters and digits, which its templates require of
 *                         the calls sent back) instead of OpenAI's {@code call_...}
 */
public record ToolCallReader(ToolCallSyntax syntax, Set<String> toolNames, boolean nineCharacterIds) {

    public ToolCallReader {
        toolNames = Set.copyOf(toolNames);
    }

    /** The reader for a request, or {@code null} when its answers are not searched for calls. */
    public static ToolCallReader of(ToolRequest tools, String templateSource) {
        return tools.parsesCalls()
                ? new ToolCallReader(
                        ToolCallSyntax.of(templateSource), tools.names(), templateSource.contains("length 9"))
                : null;
    }

    public ToolCallSyntax.Parsed read(String text) {
        return syntax.parse(
                text, toolNames, nineCharacterIds ? ToolCallSyntax::nineCharacterId : ToolCallSyntax::openAiId);
    }

    /**
     * Where a call may begin in streamed text, to hold back from there: Hermes' opening tag; for bare JSON, the
     * whole answer is held (it is a call or it is not, which only its end tells).
     */
    public String callStart() {
        return syntax == ToolCallSyntax.HERMES ? "<tool_call>" : "";
    }
}
