package io.tributary.server.structured;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.util.List;
import java.util.Objects;

/**
 * What the output must be, as a request named it: OpenAI's {@code response_format}, TGI's {@code grammar}, or
 * vLLM's guided fields, all alike once read. Two formats with the same kind and source compile once.
 *
 * @param source the JSON schema (compact JSON), the regular expression, or the choices (a JSON array)
 */
public record OutputFormat(Kind kind, String source) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public enum Kind {
        /** Text matching a JSON schema. */
        JSON_SCHEMA,
        /** Any JSON object. */
        JSON_OBJECT,
        /** Text matching a regular expression in full. */
        REGEX,
        /** Exactly one of a list of strings. */
        CHOICE,
        /** Fixed text, then text matching a JSON schema, then fixed text: a tool call in its template's tags. */
        WRAPPED_JSON_SCHEMA
    }

    public OutputFormat {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(source, "source");
    }

    public static OutputFormat jsonSchema(JsonNode schema) {
        return new OutputFormat(Kind.JSON_SCHEMA, schema.toString());
    }

    /** {@code before}, a JSON text {@code schema} accepts, then {@code after}. */
    public static OutputFormat wrappedJsonSchema(String before, JsonNode schema, String after) {
        return new OutputFormat(
                Kind.WRAPPED_JSON_SCHEMA,
                JSON.createObjectNode()
                        .put("before", before)
                        .put("after", after)
                        .set("schema", schema)
                        .toString());
    }

    public static OutputFormat jsonObject() {
        return new OutputFormat(Kind.JSON_OBJECT, "");
    }

    public static OutputFormat regex(String pattern) {
        return new OutputFormat(Kind.REGEX, pattern);
    }

    public static OutputFormat choice(List<String> choices) {
        if (choices.isEmpty()) {
            throw new ConstraintException("a choice needs at least one string");
        }
        return new OutputFormat(Kind.CHOICE, JSON.writeValueAsString(choices));
    }

    /** The schema, for JSON_SCHEMA. */
    JsonNode schema() {
        return JSON.readTree(source);
    }

    /** The schema and the text around it, for WRAPPED_JSON_SCHEMA. */
    JsonNode wrapped() {
        return JSON.readTree(source);
    }

    /** The strings, for CHOICE. */
    List<String> choices() {
        return List.of(JSON.readValue(source, String[].class));
    }
}
