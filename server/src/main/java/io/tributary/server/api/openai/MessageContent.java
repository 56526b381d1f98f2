package io.tributary.server.api.openai;

import io.tributary.server.chat.ChatMessage;
import io.tributary.server.serving.ImageFetcher;
import io.tributary.server.serving.PromptInputs;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.tributary.server.api.openai.OpenAiRequestException.invalid;

/** A chat message's {@code content}: a string, or parts of type {@code text} and {@code image_url}. */
final class MessageContent {

    private static final Set<String> TEXT_PART_FIELDS = Set.of("type", "text");
    private static final Set<String> IMAGE_PART_FIELDS = Set.of("type", "image_url");

    private MessageContent() {}

    static List<ChatMessage.Part> parts(JsonNode content, String where, ImageFetcher remote) {
        if (content == null || content.isNull()) {
            throw invalid(where, "is required");
        }
        if (content.isString()) {
            return List.of(new ChatMessage.Text(content.asString()));
        }
        if (!content.isArray() || content.isEmpty()) {
            throw invalid(where, "must be a string or a non-empty list of content parts");
        }
        List<ChatMessage.Part> parts = new ArrayList<>();
        for (int i = 0; i < content.size(); i++) {
            parts.add(part(content.get(i), where + "[" + i + "]", remote));
        }
        return parts;
    }

    private static ChatMessage.Part part(JsonNode part, String where, ImageFetcher remote) {
        String type = part.path("type").asString(null);
        if ("text".equals(type)) {
            onlyFields(part, TEXT_PART_FIELDS, where);
            if (!part.path("text").isString()) {
                throw invalid(where + ".text", "must be a string");
            }
            return new ChatMessage.Text(part.path("text").asString());
        }
        if ("image_url".equals(type)) {
            onlyFields(part, IMAGE_PART_FIELDS, where);
            JsonNode imageUrl = part.path("image_url");
            JsonNode url = imageUrl.isString() ? imageUrl : imageUrl.path("url");
            if (!url.isString()) {
                throw invalid(where + ".image_url.url", "must be a string");
            }
            String detail = imageUrl.path("detail").asString("auto");
            if (!Set.of("auto", "low", "high").contains(detail)) {
                throw invalid(where + ".image_url.detail", "must be auto, low or high");
            }
            String label = where + ".image_url.url";
            if (url.asString().startsWith("http://") || url.asString().startsWith("https://")) {
                return new ChatMessage.Image(remote.fetch(url.asString(), label));
            }
            return new ChatMessage.Image(PromptInputs.decodeDataUri(url.asString(), label));
        }
        throw invalid(where + ".type", "must be text or image_url. Given: " + type);
    }

    private static void onlyFields(JsonNode part, Set<String> known, String where) {
        for (String name : part.propertyNames()) {
            if (!known.contains(name)) {
                throw invalid(where + "." + name, "is not a field of this content part");
            }
        }
    }
}
