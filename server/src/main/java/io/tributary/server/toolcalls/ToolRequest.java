package io.tributary.server.toolcalls;

import io.tributary.server.serving.RequestValidationException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A request's {@code tools} and {@code tool_choice}, checked: what the chat template is given, whether the answer is
 * searched for calls, and which calls decoding is held to.
 */
public record ToolRequest(List<Tool> tools, Choice choice, String named) {

    /** OpenAI's {@code tool_choice}; {@link #NAMED} is {@code {"type": "function", "function": {"name": ...}}}. */
    public enum Choice {
        NONE,
        AUTO,
        REQUIRED,
        NAMED
    }

    public static final ToolRequest NONE = new ToolRequest(List.of(), Choice.NONE, null);

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final int MAX_TOOLS = 128;

    public ToolRequest {
        tools = List.copyOf(tools);
    }

    public static ToolRequest of(JsonNode tools, JsonNode toolChoice) {
        List<Tool> declared = tools(tools);
        Set<String> names = new LinkedHashSet<>();
        for (Tool tool : declared) {
            if (!names.add(tool.name())) {
                throw RequestValidationException.ofField("tools", "names the function " + tool.name() + " twice");
            }
        }
        if (toolChoice == null || toolChoice.isNull()) {
            return new ToolRequest(declared, declared.isEmpty() ? Choice.NONE : Choice.AUTO, null);
        }
        if (toolChoice.isString()) {
            Choice choice = switch (toolChoice.asString()) {
                case "none" -> Choice.NONE;
                case "auto" -> Choice.AUTO;
                case "required" -> Choice.REQUIRED;
                default ->
                    throw RequestValidationException.ofField(
                            "tool_choice",
                            "must be none, auto, required or a function. Given: " + toolChoice.asString());
            };
            if (choice != Choice.NONE && declared.isEmpty()) {
                throw RequestValidationException.ofField("tool_choice", toolChoice.asString() + " needs `tools`");
            }
            return new ToolRequest(declared, choice, null);
        }
        String name = toolChoice.path("function").path("name").asString(null);
        if (!"function".equals(toolChoice.path("type").asString(null)) || name == null) {
            throw RequestValidationException.ofField(
                    "tool_choice",
                    "must be none, auto, required or {\"type\": \"function\", \"function\": {\"name\"}}");
        }
        if (!names.contains(name)) {
            throw RequestValidationException.ofField("tool_choice", "names " + name + ", which is not among `tools`");
        }
        return new ToolRequest(declared, Choice.NAMED, name);
    }

    private static List<Tool> tools(JsonNode tools) {
        if (tools == null || tools.isNull()) {
            return List.of();
        }
        if (!tools.isArray() || tools.size() > MAX_TOOLS) {
            throw RequestValidationException.ofField("tools", "must be a list of at most " + MAX_TOOLS + " functions");
        }
        List<Tool> declared = new ArrayList<>();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode tool = tools.get(i);
            String where = "tools[" + i + "]";
            if (!"function".equals(tool.path("type").asString(null))
                    || !tool.path("function").isObject()) {
                throw RequestValidationException.ofField(
                        where, "must be {\"type\": \"function\", \"function\": {...}}");
            }
            JsonNode function = tool.get("function");
            String name = function.path("name").asString("");
            if (!NAME.matcher(name).matches()) {
                throw RequestValidationException.ofField(
                        where + ".function.name", "must be 1 to 64 letters, digits, _ . or -. Given: " + name);
            }
            JsonNode parameters = function.has("parameters")
                    ? function.get("parameters")
                    : MAPPER.readTree("{\"type\": \"object\", \"properties\": {}}");
            if (!parameters.isObject()) {
                throw RequestValidationException.ofField(
                        where + ".function.parameters", "must be a JSON schema (an object)");
            }
            declared.add(new Tool(name, parameters, tool));
        }
        return declared;
    }

    /** The tools as the chat template reads them, {@code null} (undefined) when there are none. */
    public List<Object> templateInput() {
        if (tools.isEmpty()) {
            return null;
        }
        List<Object> input = new ArrayList<>();
        for (Tool tool : tools) {
            input.add(MAPPER.convertValue(tool.wire(), Map.class));
        }
        return input;
    }

    /** Whether the answer is searched for calls: there are tools, and the choice is not none. */
    public boolean parsesCalls() {
        return !tools.isEmpty() && choice != Choice.NONE;
    }

    /** The tools one of which decoding must call: all for required, the named one, none otherwise. */
    public List<Tool> mustCall() {
        return switch (choice) {
            case REQUIRED -> tools;
            case NAMED ->
                tools.stream().filter(tool -> tool.name().equals(named)).toList();
            case NONE, AUTO -> List.of();
        };
    }

    public Set<String> names() {
        Set<String> names = new LinkedHashSet<>();
        tools.forEach(tool -> names.add(tool.name()));
        return names;
    }
}
