package io.tributary.server.structured;

import org.apache.lucene.util.automaton.Automata;
import org.apache.lucene.util.automaton.Automaton;
import org.apache.lucene.util.automaton.Operations;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.tributary.server.structured.Languages.compact;
import static io.tributary.server.structured.Languages.concat;
import static io.tributary.server.structured.Languages.literal;
import static io.tributary.server.structured.Languages.optional;
import static io.tributary.server.structured.Languages.repeat;
import static io.tributary.server.structured.Languages.union;

/**
 * The JSON texts a JSON Schema accepts, as a regular language, the way Outlines builds it: objects list their
 * properties in the schema's order; what the schema leaves open is bounded so that the language stays regular.
 *
 * <ul>
 *   <li>values the schema does not describe nest at most {@value #MAX_NESTING} levels; {@code $ref} cycles unfold
 *       at most {@value #MAX_REF_DEPTH} times;
 *   <li>an object takes only its listed {@code properties} unless it lists none ({@code additionalProperties} is
 *       read as {@code false} when properties are listed: what OpenAI's strict mode requires anyway);
 *   <li>between tokens there is at most one space; integers have at most 19 digits, numbers at most 16 before
 *       and 16 after the point.
 * </ul>
 *
 * Keywords that only describe (title, description, examples) are ignored; numeric bounds are honoured for
 * integers from zero up, otherwise only their sign.
 */
final class JsonSchemaLanguage {

    static final int MAX_NESTING = 3;
    static final int MAX_REF_DEPTH = 4;

    /**
     * Between tokens, at most one space, as Outlines allows by default: wider whitespace lets a model pad without
     * end (an untrained one does, greedily), and a client gains nothing from pretty-printed JSON.
     */
    private static final Automaton WHITESPACE = optional(literal(" "));

    private static final CodePointSet UNESCAPED = CodePointSet.of(0, 0x1F)
            .with(CodePointSet.of('"', '"'))
            .with(CodePointSet.of('\\', '\\'))
            .complement();
    private static final Automaton STRING_CHARACTER = compact(union(
            UNESCAPED.language(),
            concat(literal("\\"), union(codePoints("\"\\/bfnrt"), concat(literal("u"), repeat(hexDigit(), 4, 4))))));
    private static final Automaton DIGIT = CodePointSet.DIGITS.language();
    private static final Automaton NATURAL =
            compact(union(literal("0"), concat(Languages.range('1', '9'), repeat(DIGIT, 0, 18))));
    private static final Automaton FRACTION = concat(literal("."), repeat(DIGIT, 1, 16));
    private static final Automaton EXPONENT = concat(codePoints("eE"), optional(codePoints("+-")), repeat(DIGIT, 1, 2));
    private static final Map<String, String> FORMATS = Map.of(
            "date", "\\d{4}-\\d{2}-\\d{2}",
            "time", "\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})?",
            "date-time", "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})",
            "uuid", "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    /** The deepest nesting of schemas read. */
    static final int MAX_SCHEMA_DEPTH = 64;

    private final JsonNode root;
    private int refDepth;
    private int depth;

    private JsonSchemaLanguage(JsonNode root) {
        this.root = root;
    }

    /** The JSON texts {@code schema} accepts. */
    static Automaton of(JsonNode schema) {
        Automaton language = compact(new JsonSchemaLanguage(schema).value(schema));
        if (Operations.isEmpty(language)) {
            throw new ConstraintException("the JSON schema accepts no value that can be generated (is it "
                    + "contradictory, or recursive with no way out within " + MAX_REF_DEPTH + " levels?)");
        }
        return language;
    }

    /** Any JSON object, OpenAI's {@code json_object}. */
    static Automaton anyObject() {
        return compact(object(anyValue(MAX_NESTING - 1)));
    }

    private Automaton value(JsonNode schema) {
        if (++depth > MAX_SCHEMA_DEPTH) {
            throw new ConstraintException("the JSON schema nests deeper than " + MAX_SCHEMA_DEPTH + " levels");
        }
        try {
            return describedValue(schema);
        } finally {
            depth--;
        }
    }

    private Automaton describedValue(JsonNode schema) {
        if (schema.isBoolean()) {
            return schema.booleanValue() ? anyValue(MAX_NESTING) : Automata.makeEmpty();
        }
        if (!schema.isObject()) {
            throw new ConstraintException("a JSON schema must be an object or a boolean, got: " + schema);
        }
        if (schema.has("$ref")) {
            return reference(schema.get("$ref").asString());
        }
        if (schema.has("const")) {
            return literal(schema.get("const").toString());
        }
        if (schema.has("enum")) {
            List<Automaton> values = new ArrayList<>();
            for (JsonNode value : schema.get("enum")) {
                values.add(literal(value.toString()));
            }
            return union(values);
        }
        for (String key : List.of("anyOf", "oneOf")) {
            if (schema.has(key)) {
                List<Automaton> choices = new ArrayList<>();
                for (JsonNode choice : schema.get(key)) {
                    choices.add(value(choice));
                }
                return compact(union(choices));
            }
        }
        if (schema.has("allOf")) {
            if (schema.get("allOf").size() != 1) {
                throw new ConstraintException("allOf with more than one schema is not supported");
            }
            return value(schema.get("allOf").get(0));
        }
        JsonNode type = schema.get("type");
        if (type == null) {
            return schema.has("properties") ? typed("object", schema) : anyValue(MAX_NESTING);
        }
        if (type.isArray()) {
            List<Automaton> choices = new ArrayList<>();
            for (JsonNode each : type) {
                choices.add(typed(each.asString(), schema));
            }
            return union(choices);
        }
        return typed(type.asString(), schema);
    }

    private Automaton typed(String type, JsonNode schema) {
        return switch (type) {
            case "object" -> objectOf(schema);
            case "array" -> arrayOf(schema);
            case "string" -> stringOf(schema);
            case "integer" -> integerOf(schema);
            case "number" -> numberOf(schema);
            case "boolean" -> union(literal("true"), literal("false"));
            case "null" -> literal("null");
            default -> throw new ConstraintException("unknown JSON schema type: " + type);
        };
    }

    private Automaton reference(String ref) {
        if (!ref.startsWith("#")) {
            throw new ConstraintException("only references inside the schema (#/...) are supported, got: " + ref);
        }
        JsonNode target = root.at(ref.substring(1));
        if (target.isMissingNode()) {
            throw new ConstraintException("the schema has nothing at its reference " + ref);
        }
        if (refDepth >= MAX_REF_DEPTH) {
            return Automata.makeEmpty(); // the branch that recurses once more is not taken
        }
        refDepth++;
        try {
            return compact(value(target));
        } finally {
            refDepth--;
        }
    }

    private Automaton objectOf(JsonNode schema) {
        JsonNode properties = schema.path("properties");
        if (!properties.isObject() || properties.isEmpty()) {
            JsonNode additional = schema.path("additionalProperties");
            Automaton values = additional.isObject() ? value(additional) : anyValue(MAX_NESTING - 1);
            return additional.isBoolean() && !additional.booleanValue() ? literal("{}") : object(values);
        }
        Set<String> required = new HashSet<>();
        schema.path("required").forEach(name -> required.add(name.asString()));
        List<Automaton> members = new ArrayList<>();
        List<Boolean> mandatory = new ArrayList<>();
        for (Map.Entry<String, JsonNode> property : properties.properties()) {
            members.add(concat(
                    literal(tools.jackson.databind.node.StringNode.valueOf(property.getKey())
                            .toString()),
                    WHITESPACE,
                    literal(":"),
                    WHITESPACE,
                    value(property.getValue())));
            mandatory.add(required.contains(property.getKey()));
        }
        // From the last property back: the members from i on, when one came before them (each then needs its
        // leading comma) and when none did.
        Automaton afterSome = Automata.makeEmptyString();
        Automaton afterNone = Automata.makeEmptyString();
        Automaton comma = concat(WHITESPACE, literal(","), WHITESPACE);
        for (int i = members.size() - 1; i >= 0; i--) {
            Automaton withComma = concat(comma, members.get(i), afterSome);
            Automaton first = concat(members.get(i), afterSome);
            afterNone = compact(mandatory.get(i) ? first : union(first, afterNone));
            afterSome = compact(mandatory.get(i) ? withComma : union(withComma, afterSome));
        }
        return concat(literal("{"), WHITESPACE, afterNone, WHITESPACE, literal("}"));
    }

    private Automaton arrayOf(JsonNode schema) {
        int min = schema.path("minItems").asInt(0);
        int max = schema.has("maxItems") ? schema.get("maxItems").asInt() : -1;
        if (max >= 0 && max < min) {
            throw new ConstraintException("maxItems is below minItems");
        }
        JsonNode itemSchema = schema.get("items");
        Automaton item = itemSchema == null ? anyValue(MAX_NESTING - 1) : value(itemSchema);
        if (max == 0) {
            return concat(literal("["), WHITESPACE, literal("]"));
        }
        Automaton more = repeat(
                concat(WHITESPACE, literal(","), WHITESPACE, item), Math.max(0, min - 1), max < 0 ? -1 : max - 1);
        Automaton items = concat(item, more);
        return concat(literal("["), WHITESPACE, min == 0 ? optional(items) : items, WHITESPACE, literal("]"));
    }

    private Automaton stringOf(JsonNode schema) {
        int min = schema.path("minLength").asInt(0);
        int max = schema.has("maxLength") ? schema.get("maxLength").asInt() : -1;
        if (max >= 0 && max < min) {
            throw new ConstraintException("maxLength is below minLength");
        }
        String pattern = schema.has("pattern")
                ? schema.get("pattern").asString()
                : FORMATS.get(schema.path("format").asString(""));
        if (pattern == null) {
            return concat(literal("\""), repeat(STRING_CHARACTER, min, max), literal("\""));
        }
        // A pattern speaks of the string's characters; those that JSON would escape are left out.
        Automaton characters =
                Operations.intersection(RegexSyntax.parse(pattern), repeat(UNESCAPED.language(), min, max));
        return concat(literal("\""), compact(characters), literal("\""));
    }

    private static Automaton integerOf(JsonNode schema) {
        long min = bound(schema, "minimum", "exclusiveMinimum", 1);
        long max = bound(schema, "maximum", "exclusiveMaximum", -1);
        if (min > max) {
            throw new ConstraintException(
                    "the JSON schema accepts no integer: its minimum " + min + " is above its maximum " + max);
        }
        if (min >= 0 && max <= Integer.MAX_VALUE) {
            // Lucene's interval allows leading zeros, which JSON does not.
            return compact(Operations.intersection(Automata.makeDecimalInterval((int) min, (int) max, 0), NATURAL));
        }
        return min >= 0 ? NATURAL : concat(optional(literal("-")), NATURAL);
    }

    private static Automaton numberOf(JsonNode schema) {
        boolean signed = bound(schema, "minimum", "exclusiveMinimum", 0) < 0;
        Automaton magnitude = concat(NATURAL, optional(FRACTION), optional(EXPONENT));
        return signed ? concat(optional(literal("-")), magnitude) : magnitude;
    }

    /** An inclusive integer bound from {@code minimum}/{@code maximum} or their exclusive forms; none: ±∞. */
    private static long bound(JsonNode schema, String inclusive, String exclusive, int step) {
        if (schema.path(inclusive).isNumber()) {
            double value = schema.get(inclusive).asDouble();
            return step > 0 ? (long) Math.ceil(value) : (long) Math.floor(value);
        }
        if (schema.path(exclusive).isNumber()) {
            double value = schema.get(exclusive).asDouble();
            return step >= 0 ? (long) Math.floor(value) + 1 : (long) Math.ceil(value) - 1;
        }
        return step > 0 ? Long.MIN_VALUE : step < 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
    }

    /** Any JSON value with objects and arrays nested at most {@code depth} levels. */
    private static Automaton anyValue(int depth) {
        Automaton scalar = union(
                concat(literal("\""), repeat(STRING_CHARACTER, 0, -1), literal("\"")),
                concat(optional(literal("-")), NATURAL, optional(FRACTION), optional(EXPONENT)),
                literal("true"),
                literal("false"),
                literal("null"));
        if (depth == 0) {
            return compact(scalar);
        }
        Automaton inner = anyValue(depth - 1);
        Automaton array = concat(
                literal("["),
                WHITESPACE,
                optional(concat(inner, repeat(concat(WHITESPACE, literal(","), WHITESPACE, inner), 0, -1))),
                WHITESPACE,
                literal("]"));
        return compact(union(scalar, object(inner), array));
    }

    /** An object whose keys are any strings and whose values are in {@code values}. */
    private static Automaton object(Automaton values) {
        Automaton member = concat(
                literal("\""),
                repeat(STRING_CHARACTER, 0, -1),
                literal("\""),
                WHITESPACE,
                literal(":"),
                WHITESPACE,
                values);
        Automaton members = concat(member, repeat(concat(WHITESPACE, literal(","), WHITESPACE, member), 0, -1));
        return compact(concat(literal("{"), WHITESPACE, optional(members), WHITESPACE, literal("}")));
    }

    private static Automaton codePoints(String characters) {
        CodePointSet set = CodePointSet.none();
        for (int c : characters.codePoints().toArray()) {
            set = set.with(CodePointSet.of(c, c));
        }
        return set.language();
    }

    private static Automaton hexDigit() {
        return CodePointSet.DIGITS
                .with(CodePointSet.of('a', 'f'))
                .with(CodePointSet.of('A', 'F'))
                .language();
    }
}
