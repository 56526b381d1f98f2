package io.tributary.server.structured;

import org.apache.lucene.util.automaton.Automata;
import org.apache.lucene.util.automaton.Automaton;
import org.apache.lucene.util.automaton.MinimizationOperations;
import org.apache.lucene.util.automaton.Operations;
import org.apache.lucene.util.automaton.TooComplexToDeterminizeException;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/** Building blocks for languages over Unicode code points, as Lucene automata, kept small as they are built. */
final class Languages {

    /** How much determinizing one language may cost before the request is refused as too complex. */
    static final int WORK_LIMIT = 200_000;

    static final int MAX_CODE_POINT = Character.MAX_CODE_POINT;

    private Languages() {}

    static Automaton literal(String text) {
        return Automata.makeString(text);
    }

    static Automaton range(int from, int to) {
        return Automata.makeCharRange(from, to);
    }

    static Automaton concat(Automaton... parts) {
        return Operations.concatenate(Arrays.asList(parts));
    }

    static Automaton concat(List<Automaton> parts) {
        return parts.isEmpty() ? Automata.makeEmptyString() : Operations.concatenate(parts);
    }

    static Automaton union(Collection<Automaton> choices) {
        return choices.isEmpty() ? Automata.makeEmpty() : Operations.union(choices);
    }

    static Automaton union(Automaton... choices) {
        return union(Arrays.asList(choices));
    }

    static Automaton optional(Automaton language) {
        return Operations.optional(language);
    }

    /** The most states a language may have while it is built: beyond, it is refused rather than built. */
    static final int MAX_STATES = 200_000;

    /** {@code min} to {@code max} repetitions; {@code max < 0}: no upper bound. */
    static Automaton repeat(Automaton language, int min, int max) {
        long copies = Math.max(1, Math.max(min, max));
        if (copies * language.getNumStates() > MAX_STATES) {
            throw new ConstraintException("the format is too large to compile: a repetition would make "
                    + copies * language.getNumStates() + " states, more than " + MAX_STATES);
        }
        return max < 0 ? Operations.repeat(language, min) : Operations.repeat(language, min, max);
    }

    /** The minimal deterministic automaton of the language, so that what is built from it stays small. */
    static Automaton compact(Automaton language) {
        try {
            return MinimizationOperations.minimize(language, WORK_LIMIT);
        } catch (TooComplexToDeterminizeException e) {
            throw new ConstraintException(
                    "the format is too complex to compile (its automaton exceeded " + WORK_LIMIT + " steps of work)");
        }
    }

    /** A language of single code points, from sorted, disjoint, inclusive ranges {@code [from0, to0, from1, ...]}. */
    static Automaton codePoints(int[] ranges) {
        Automaton result = new Automaton();
        int start = result.createState();
        int end = result.createState();
        result.setAccept(end, true);
        for (int i = 0; i < ranges.length; i += 2) {
            result.addTransition(start, end, ranges[i], ranges[i + 1]);
        }
        result.finishState();
        return result;
    }
}
