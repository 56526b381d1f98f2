package io.tributary.server.structured;

import io.tributary.routing.Detokenizer;
import io.tributary.routing.constraint.OutputConstraint;
import org.apache.lucene.util.automaton.Automaton;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles output formats against the served vocabulary and keeps the most recently used ones: a client usually
 * sends the same schema with every request, and a compiled format keeps the token sets of the states it has
 * visited. Thread-safe.
 */
public final class StructuredOutputs {

    /** Compiled formats kept; each holds a trie of the vocabulary and the token sets found so far. */
    public static final int CACHE_SIZE = 32;

    private final byte[][] tokenBytes; // null: this vocabulary cannot be constrained
    private final int[] endOfSequence;
    private int[] byteOrder; // the tokens in byte order, sorted on first use
    private final Map<OutputFormat, TokenAutomaton> compiled = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<OutputFormat, TokenAutomaton> eldest) {
            return size() > CACHE_SIZE;
        }
    };

    public StructuredOutputs(Detokenizer tokenizer, Set<Integer> endOfSequence) {
        this.tokenBytes = tokenizer.tokenBytes().orElse(null);
        this.endOfSequence =
                endOfSequence.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /** Whether outputs can be constrained at all: the tokenizer spells out its tokens' bytes. */
    public boolean available() {
        return tokenBytes != null && endOfSequence.length > 0;
    }

    /**
     * The format compiled against the vocabulary, from the cache when it was compiled before.
     *
     * @throws ConstraintException when the format cannot be compiled, or this vocabulary cannot be constrained
     */
    public OutputConstraint compile(OutputFormat format) {
        if (!available()) {
            throw new ConstraintException("this mixture's tokenizer does not spell out its tokens' bytes (or names "
                    + "no end-of-sequence token), so its output cannot be constrained to a format");
        }
        synchronized (compiled) {
            TokenAutomaton cached = compiled.get(format);
            if (cached != null) {
                return cached;
            }
        }
        TokenAutomaton automaton = new TokenAutomaton(language(format), tokenBytes, byteOrder(), endOfSequence);
        synchronized (compiled) {
            compiled.putIfAbsent(format, automaton);
            return compiled.get(format);
        }
    }

    private synchronized int[] byteOrder() {
        if (byteOrder == null) {
            byteOrder = TokenTrie.byteOrder(tokenBytes);
        }
        return byteOrder;
    }

    /** The texts a format accepts, over Unicode code points. */
    static Automaton language(OutputFormat format) {
        return switch (format.kind()) {
            case JSON_SCHEMA -> JsonSchemaLanguage.of(format.schema());
            case JSON_OBJECT -> JsonSchemaLanguage.anyObject();
            case WRAPPED_JSON_SCHEMA -> {
                JsonNode wrapped = format.wrapped();
                yield Languages.concat(
                        Languages.literal(wrapped.get("before").asString()),
                        JsonSchemaLanguage.of(wrapped.get("schema")),
                        Languages.literal(wrapped.get("after").asString()));
            }
            case REGEX -> Languages.compact(RegexSyntax.parse(format.source()));
            case CHOICE -> {
                List<Automaton> choices = new ArrayList<>();
                format.choices().forEach(choice -> choices.add(Languages.literal(choice)));
                yield Languages.compact(Languages.union(choices));
            }
        };
    }
}
