package io.tributary.server.toolcalls;

import java.util.Set;

/** Finds the calls of a request's tools in its answers, in the syntax of the checkpoint's template. */
public record ToolCallReader(ToolCallSyntax syntax, Set<String> toolNames) {

    public ToolCallReader {
        toolNames = Set.copyOf(toolNames);
    }

    /** The reader for a request, or {@code null} when its answers are not searched for calls. */
    public static ToolCallReader of(ToolRequest tools, ToolCallSyntax syntax) {
        return tools.parsesCalls() ? new ToolCallReader(syntax, tools.names()) : null;
    }

    public ToolCallSyntax.Parsed read(String text) {
        return syntax.parse(text, toolNames);
    }

    /**
     * Where a call may begin in streamed text, to hold back from there: Hermes' opening tag; for bare JSON, the
     * whole answer is held (it is a call or it is not, which only its end tells).
     */
    public String callStart() {
        return syntax == ToolCallSyntax.HERMES ? "<tool_call>" : "";
    }
}
