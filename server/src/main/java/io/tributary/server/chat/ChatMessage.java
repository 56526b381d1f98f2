package io.tributary.server.chat;

import io.tributary.routing.ImageInput;
import io.tributary.server.toolcalls.ToolCall;
import tools.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One turn of a conversation, its content as ordered parts of text and images.
 *
 * @param role       {@code system}, {@code user}, {@code assistant} or {@code tool}
 * @param parts      the content, in order
 * @param toolCalls  the calls an assistant turn made
 * @param toolCallId the call a {@code tool} turn answers, or {@code null}
 */
public record ChatMessage(String role, List<Part> parts, List<ToolCall> toolCalls, String toolCallId) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        parts = List.copyOf(parts);
        toolCalls = List.copyOf(toolCalls);
    }

    public ChatMessage(String role, List<Part> parts) {
        this(role, parts, List.of(), null);
    }

    public static ChatMessage text(String role, String text) {
        return new ChatMessage(role, List.of(new Text(text)));
    }

    /** The images of this turn, in order. */
    public List<ImageInput> images() {
        return parts.stream()
                .filter(Image.class::isInstance)
                .map(part -> ((Image) part).image())
                .toList();
    }

    /** The message as a template reads it: content as typed parts, or as one string with image placeholders. */
    Map<String, Object> toTemplateInput(boolean contentAsParts, String imagePlaceholder) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("role", role);
        if (contentAsParts) {
            List<Map<String, Object>> content = new ArrayList<>(parts.size());
            for (Part part : parts) {
                content.add(
                        part instanceof Text text
                                ? Map.of("type", "text", "text", text.text())
                                : Map.of("type", "image"));
            }
            message.put("content", content);
        } else {
            StringBuilder content = new StringBuilder();
            for (Part part : parts) {
                if (!content.isEmpty()) {
                    content.append('\n');
                }
                content.append(part instanceof Text text ? text.text() : imagePlaceholder);
            }
            message.put("content", content.toString());
        }
        if (!toolCalls.isEmpty()) {
            // As transformers passes them: arguments as a mapping, which templates write with tojson.
            List<Map<String, Object>> calls = new ArrayList<>();
            for (ToolCall call : toolCalls) {
                Map<String, Object> function = new LinkedHashMap<>();
                function.put("name", call.name());
                function.put("arguments", JSON.readValue(call.arguments(), Map.class));
                calls.add(Map.of("id", call.id(), "type", "function", "function", function));
            }
            message.put("tool_calls", calls);
        }
        if (toolCallId != null) {
            message.put("tool_call_id", toolCallId);
        }
        return message;
    }

    /** A piece of a message's content. */
    public sealed interface Part permits Text, Image {}

    public record Text(String text) implements Part {
        public Text {
            Objects.requireNonNull(text, "text");
        }
    }

    public record Image(ImageInput image) implements Part {
        public Image {
            Objects.requireNonNull(image, "image");
        }
    }
}
