package io.tributary.server.structured;

import io.tributary.server.serving.RequestValidationException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads the fields in which each dialect asks for a format: OpenAI's {@code response_format}, vLLM's
 * {@code guided_json}, {@code guided_regex} and {@code guided_choice}, and TGI's {@code grammar}. A field that is
 * malformed is refused with its name, as the client wrote it (a {@link RequestValidationException}).
 */
public final class FormatFields {

    private static final ObjectMapper JSON = new ObjectMapper();

    private FormatFields() {}

    /** A format and the field that asked for it, to name in an error. */
    public record Requested(OutputFormat format, String field) {}

    /**
     * The format of an OpenAI-style request, or {@code null} for free text. {@code response_format} may also take
     * TGI's form, {@code {"type": "json_object", "value": <schema>}}.
     */
    public static Requested openAi(
            JsonNode responseFormat,
            JsonNode guidedJson,
            String guidedRegex,
            List<String> guidedChoice,
            JsonNode guidedGrammar) {
        if (guidedGrammar != null && !guidedGrammar.isNull()) {
            throw RequestValidationException.ofField(
                    "guided_grammar", "is not supported: use guided_json, guided_regex or guided_choice");
        }
        List<Requested> formats = new ArrayList<>();
        OutputFormat fromResponseFormat = responseFormat(responseFormat);
        if (fromResponseFormat != null) {
            formats.add(new Requested(fromResponseFormat, "response_format"));
        }
        if (guidedJson != null && !guidedJson.isNull()) {
            formats.add(new Requested(OutputFormat.jsonSchema(schema("guided_json", guidedJson)), "guided_json"));
        }
        if (guidedRegex != null) {
            formats.add(new Requested(OutputFormat.regex(guidedRegex), "guided_regex"));
        }
        if (guidedChoice != null) {
            if (guidedChoice.isEmpty() || guidedChoice.stream().anyMatch(choice -> choice == null)) {
                throw RequestValidationException.ofField("guided_choice", "must be a non-empty list of strings");
            }
            formats.add(new Requested(OutputFormat.choice(guidedChoice), "guided_choice"));
        }
        if (formats.size() > 1) {
            throw RequestValidationException.ofField(
                    formats.get(1).field(),
                    "cannot be combined with " + formats.get(0).field() + ": one format per request");
        }
        return formats.isEmpty() ? null : formats.get(0);
    }

    private static OutputFormat responseFormat(JsonNode responseFormat) {
        if (responseFormat == null || responseFormat.isNull()) {
            return null;
        }
        String type = responseFormat.path("type").asString("");
        return switch (type) {
            case "text" -> null;
            case "json_object" ->
                responseFormat.has("value")
                        ? OutputFormat.jsonSchema(schema("response_format.value", responseFormat.get("value")))
                        : OutputFormat.jsonObject();
            case "json_schema" -> {
                JsonNode schema = responseFormat.path("json_schema").path("schema");
                if (schema.isMissingNode()) {
                    throw RequestValidationException.ofField(
                            "response_format.json_schema.schema", "is required for {\"type\": \"json_schema\"}");
                }
                yield OutputFormat.jsonSchema(schema("response_format.json_schema.schema", schema));
            }
            default ->
                throw RequestValidationException.ofField(
                        "response_format.type", "must be one of text, json_object, json_schema. Given: " + type);
        };
    }

    /** TGI's {@code grammar}: {@code {"type": "json" | "regex" | "json_schema", "value": ...}}. */
    public static OutputFormat tgi(JsonNode grammar) {
        if (grammar == null || grammar.isNull()) {
            return null;
        }
        String type = grammar.path("type").asString("");
        JsonNode value = grammar.path("value");
        return switch (type) {
            case "json", "json_object" -> OutputFormat.jsonSchema(schema("grammar.value", value));
            case "json_schema" -> OutputFormat.jsonSchema(schema("grammar.value.schema", value.path("schema")));
            case "regex" -> {
                if (!value.isString()) {
                    throw RequestValidationException.ofField(
                            "grammar.value", "must be a regular expression, as a string");
                }
                yield OutputFormat.regex(value.asString());
            }
            default ->
                throw RequestValidationException.ofField(
                        "grammar.type", "must be one of json, json_schema, regex. Given: " + type);
        };
    }

    /** A schema given as JSON, or as a string holding JSON (vLLM and TGI accept both). */
    private static JsonNode schema(String field, JsonNode value) {
        JsonNode schema = value;
        if (value.isString()) {
            try {
                schema = JSON.readTree(value.asString());
            } catch (RuntimeException e) {
                throw RequestValidationException.ofField(field, "is a string that is not JSON");
            }
        }
        if (!schema.isObject() && !schema.isBoolean()) {
            throw RequestValidationException.ofField(field, "must be a JSON schema (an object)");
        }
        return schema;
    }
}
