package io.tributary.server.toolcalls;

import io.tributary.server.structured.OutputFormat;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a checkpoint's chat template asks the model to write a tool call, read from the template itself:
 *
 * <ul>
 *   <li>{@link #HERMES}: {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>}, one block per call
 *       (Qwen2.5, Qwen3, Hermes, and most templates that take tools);
 *   <li>{@link #JSON}: the whole answer is {@code {"name": ..., "parameters": {...}}} (Llama 3.1 and later).
 * </ul>
 */
public enum ToolCallSyntax {
    HERMES,
    JSON;

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern HERMES_BLOCK =
            Pattern.compile("<tool_call>\\s*(\\{.*?})\\s*(?:</tool_call>|$)", Pattern.DOTALL);
    private static final String PYTHON_TAG = "<|python_tag|>";

    /** What the template's own text shows; Hermes when it shows neither. */
    public static ToolCallSyntax of(String templateSource) {
        if (templateSource.contains("<tool_call>")) {
            return HERMES;
        }
        return templateSource.contains("\"parameters\"") || templateSource.contains("ipython") ? JSON : HERMES;
    }

    /** The argument key of a call: Llama's templates say {@code parameters}, the others {@code arguments}. */
    String argumentsKey() {
        return this == JSON ? "parameters" : "arguments";
    }

    /** The output format of exactly one call of one of {@code tools}: how required and named choices decode. */
    public OutputFormat oneCallOf(List<Tool> tools) {
        ArrayNode choices = MAPPER.createArrayNode();
        for (Tool tool : tools) {
            ObjectNode call = choices.addObject();
            call.put("type", "object");
            ObjectNode properties = call.putObject("properties");
            properties.putObject("name").put("const", tool.name());
            properties.set(argumentsKey(), tool.parameters());
            call.putArray("required").add("name").add(argumentsKey());
        }
        ObjectNode schema = MAPPER.createObjectNode();
        schema.set("anyOf", choices);
        return this == HERMES
                ? OutputFormat.wrappedJsonSchema("<tool_call>\n", schema, "\n</tool_call>")
                : OutputFormat.jsonSchema(schema);
    }

    /** An answer split into its text and the calls of known tools it makes; no calls: all of it is text. */
    public record Parsed(String content, List<ToolCall> calls) {}

    /** As {@link #parse(String, Set, Supplier)}, with OpenAI-style ids. */
    public Parsed parse(String text, Set<String> toolNames) {
        return parse(text, toolNames, ToolCallSyntax::openAiId);
    }

    /** @param ids the id of each call found, in order */
    public Parsed parse(String text, Set<String> toolNames, Supplier<String> ids) {
        List<ToolCall> calls = new ArrayList<>();
        int contentEnd = text.length();
        if (this == HERMES) {
            Matcher block = HERMES_BLOCK.matcher(text);
            while (block.find()) {
                ToolCall call = call(block.group(1), toolNames, ids);
                if (call != null) {
                    contentEnd = Math.min(contentEnd, block.start());
                    calls.add(call);
                }
            }
        } else {
            String body = text.strip();
            if (body.startsWith(PYTHON_TAG)) {
                body = body.substring(PYTHON_TAG.length()).strip();
            }
            for (String each : body.split(";")) {
                ToolCall call = call(each.strip(), toolNames, ids);
                if (call == null) {
                    calls.clear(); // all of it is calls, or none of it is
                    break;
                }
                calls.add(call);
            }
            contentEnd = calls.isEmpty() ? text.length() : 0;
        }
        String content = text.substring(0, contentEnd).strip();
        return calls.isEmpty()
                ? new Parsed(text, List.of())
                : new Parsed(content.isEmpty() ? null : content, List.copyOf(calls));
    }

    private ToolCall call(String json, Set<String> toolNames, Supplier<String> ids) {
        JsonNode call;
        try {
            call = MAPPER.readTree(json);
        } catch (JacksonException e) {
            return null;
        }
        String name = call.path("name").asString(null);
        JsonNode arguments = call.has(argumentsKey()) ? call.get(argumentsKey()) : call.get("arguments");
        if (name == null || !toolNames.contains(name) || arguments == null || !arguments.isObject()) {
            return null;
        }
        return new ToolCall(ids.get(), name, arguments.toString());
    }

    /** {@code call_} and 24 hexadecimal digits, as OpenAI's look. */
    static String openAiId() {
        return "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    }

    /** Nine letters and digits: what Mistral's templates accept, and refuse anything else. */
    static String nineCharacterId() {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder id = new StringBuilder(9);
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < 9; i++) {
            id.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return id.toString();
    }
}
