package io.tributary.server.structured;

import org.apache.lucene.util.automaton.Automaton;
import org.apache.lucene.util.automaton.Operations;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonSchemaLanguageTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void anObjectTakesItsRequiredPropertiesInOrderAndMayLeaveOutTheOthers() {
        Automaton language = language("""
                {"type": "object",
                 "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "ok": {"type": "boolean"}},
                 "required": ["age"]}
                """);

        assertAccepts(
                language,
                "{\"name\": \"Ann\", \"age\": 31, \"ok\": true}",
                "{\"age\":-4}",
                "{\"age\": 0,\"ok\":false}");
        assertRejects(
                language,
                "{}",
                "{\"name\": \"Ann\"}",
                "{\"age\": 31, \"name\": \"Ann\"}",
                "{\"age\": 01}",
                "{\"age\": 3,}",
                "{\"age\": 3, \"extra\": 1}");
    }

    @Test
    void stringsHonourLengthsPatternsFormatsAndJsonEscapes() {
        Automaton bounded = language("{\"type\": \"string\", \"minLength\": 2, \"maxLength\": 3}");
        assertAccepts(bounded, "\"ab\"", "\"a\\\"c\"", "\"é\\u00e9x\"");
        assertRejects(bounded, "\"a\"", "\"abcd\"", "\"a\"b\"", "\"a\nb\"");

        Automaton patterned = language("{\"type\": \"string\", \"pattern\": \"^[A-Z]{2}\\\\d+$\"}");
        assertAccepts(patterned, "\"AB12\"");
        assertRejects(patterned, "\"ab12\"", "\"AB\"");

        Automaton date = language("{\"type\": \"string\", \"format\": \"date\"}");
        assertAccepts(date, "\"2026-12-07\"");
        assertRejects(date, "\"7 Dec 2026\"");
    }

    @Test
    void enumsConstsArraysAndUnions() {
        assertAccepts(language("{\"enum\": [\"red\", 3, null]}"), "\"red\"", "3", "null");
        assertRejects(language("{\"enum\": [\"red\", 3, null]}"), "\"blue\"", "4");
        assertAccepts(language("{\"const\": {\"a\": [1]}}"), "{\"a\":[1]}");

        Automaton array = language(
                "{\"type\": \"array\", \"items\": {\"type\": \"number\"}, \"minItems\": 1, " + "\"maxItems\": 3}");
        assertAccepts(array, "[1]", "[1.5, -2e3, 0]", "[ 1 ,2 ]");
        assertRejects(array, "[]", "[1,2,3,4]", "[1,]", "[\"1\"]");

        Automaton union = language("{\"anyOf\": [{\"type\": \"integer\"}, {\"type\": \"null\"}]}");
        assertAccepts(union, "12", "null");
        assertRejects(union, "1.5", "\"12\"");
    }

    @Test
    void integerBoundsFromZeroUpAreExact() {
        Automaton percent = language("{\"type\": \"integer\", \"minimum\": 0, \"maximum\": 100}");

        assertAccepts(percent, "0", "7", "100");
        assertRejects(percent, "101", "-1", "007");
    }

    @Test
    void referencesResolveAndRecursionUnfoldsAFewLevels() {
        Automaton tree = language("""
                {"$defs": {"node": {"type": "object",
                   "properties": {"v": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
                   "required": ["v"]}},
                 "$ref": "#/$defs/node"}
                """);

        assertAccepts(tree, "{\"v\": 1}", "{\"v\": 1, \"kids\": [{\"v\": 2, \"kids\": [{\"v\": 3}]}]}");
        assertRejects(tree, "{\"kids\": []}");
    }

    @Test
    void anyObjectIsJsonObjectsNestedAFewLevels() {
        Automaton language = JsonSchemaLanguage.anyObject();

        assertAccepts(language, "{}", "{\"a\": [1, {\"b\": null}], \"c\": \"d\"}");
        assertRejects(language, "[]", "{\"a\": }", "{\"a\": [[[[1]]]]}");
    }

    @Test
    void schemasThatAcceptNothingOrUseUnsupportedKeywordsAreRefused() {
        assertThatThrownBy(() -> language("{\"type\": \"integer\", \"minimum\": 5, \"maximum\": 2}"))
                .isInstanceOf(ConstraintException.class)
                .hasMessageContaining("accepts no integer");
        assertThatThrownBy(() -> language("{\"type\": \"tuple\"}"))
                .isInstanceOf(ConstraintException.class)
                .hasMessageContaining("unknown JSON schema type");
        assertThatThrownBy(() -> language("{\"$ref\": \"https://example.com/s.json\"}"))
                .isInstanceOf(ConstraintException.class)
                .hasMessageContaining("only references inside the schema");
    }

    @Test
    void deepNestingIsRefusedRatherThanOverflowingTheStack() {
        String deep = "{\"type\": \"array\", \"items\": ".repeat(300) + "{}" + "}".repeat(300);

        assertThatThrownBy(() -> language(deep))
                .isInstanceOf(ConstraintException.class)
                .hasMessageContaining("nests deeper than");
    }

    private static Automaton language(String schema) {
        JsonNode node = JSON.readTree(schema);
        return JsonSchemaLanguage.of(node);
    }

    private static void assertAccepts(Automaton language, String... texts) {
        for (String text : texts) {
            assertThat(Operations.run(language, text)).as("accepts %s", text).isTrue();
        }
    }

    private static void assertRejects(Automaton language, String... texts) {
        for (String text : texts) {
            assertThat(Operations.run(language, text)).as("rejects %s", text).isFalse();
        }
    }
}
