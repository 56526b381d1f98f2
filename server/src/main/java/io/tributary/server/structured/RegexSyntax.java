package io.tributary.server.structured;

import org.apache.lucene.util.automaton.Automaton;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses the regular expressions clients send (JSON Schema's {@code pattern}, TGI's and vLLM's regex, which are
 * ECMAScript and Python syntax, alike in what is regular) into the language of whole strings they match. A leading
 * {@code ^} and a trailing {@code $} are implied. What is not regular (look-around, back-references, anchors or
 * word boundaries inside) is refused with the position, never silently ignored.
 */
final class RegexSyntax {

    /** The most repetitions one bounded quantifier may ask for: each is a copy in the automaton. */
    static final int MAX_REPEAT = 1_000;

    /** The deepest nesting of groups read. */
    static final int MAX_NESTING = 100;

    private final String pattern;
    private final int[] codePoints;
    private int at;
    private int depth;

    private RegexSyntax(String pattern) {
        this.pattern = pattern;
        this.codePoints = pattern.codePoints().toArray();
    }

    /** The language of the strings {@code pattern} matches in full. */
    static Automaton parse(String pattern) {
        RegexSyntax parser = new RegexSyntax(pattern);
        int end = parser.codePoints.length;
        if (end > 0 && parser.codePoints[0] == '^') {
            parser.at = 1;
        }
        if (end > parser.at && parser.codePoints[end - 1] == '$' && !parser.escaped(end - 1)) {
            end--;
        }
        Automaton language = parser.alternation(end);
        if (parser.at != end) {
            throw parser.error("unbalanced ')'");
        }
        return language;
    }

    private boolean escaped(int index) {
        int backslashes = 0;
        for (int i = index - 1; i >= 0 && codePoints[i] == '\\'; i--) {
            backslashes++;
        }
        return backslashes % 2 == 1;
    }

    private Automaton alternation(int end) {
        List<Automaton> choices = new ArrayList<>();
        choices.add(sequence(end));
        while (at < end && codePoints[at] == '|') {
            at++;
            choices.add(sequence(end));
        }
        return choices.size() == 1 ? choices.get(0) : Languages.union(choices);
    }

    private Automaton sequence(int end) {
        List<Automaton> parts = new ArrayList<>();
        while (at < end && codePoints[at] != '|' && codePoints[at] != ')') {
            parts.add(quantified(atom(end), end));
        }
        return Languages.concat(parts);
    }

    private Automaton quantified(Automaton atom, int end) {
        while (at < end) {
            int c = codePoints[at];
            int min;
            int max;
            if (c == '*') {
                min = 0;
                max = -1;
                at++;
            } else if (c == '+') {
                min = 1;
                max = -1;
                at++;
            } else if (c == '?') {
                min = 0;
                max = 1;
                at++;
            } else if (c == '{' && isBound(end)) {
                int[] bounds = bounds(end);
                min = bounds[0];
                max = bounds[1];
            } else {
                return atom;
            }
            if (at < end && (codePoints[at] == '?' || codePoints[at] == '+')) {
                at++; // lazy and possessive forms match the same strings in full
            }
            atom = Languages.repeat(atom, min, max);
        }
        return atom;
    }

    private boolean isBound(int end) {
        int i = at + 1;
        while (i < end && (Character.isDigit(codePoints[i]) || codePoints[i] == ',')) {
            i++;
        }
        return i < end && codePoints[i] == '}' && i > at + 1 && Character.isDigit(codePoints[at + 1]);
    }

    private int[] bounds(int end) {
        at++; // '{'
        int min = number();
        int max = min;
        if (codePoints[at] == ',') {
            at++;
            max = codePoints[at] == '}' ? -1 : number();
        }
        at++; // '}'
        if (max >= 0 && max < min || min > MAX_REPEAT || max > MAX_REPEAT) {
            throw error("a repetition must be {min,max} with min <= max <= " + MAX_REPEAT);
        }
        return new int[] {min, max};
    }

    private int number() {
        int start = at;
        while (Character.isDigit(codePoints[at])) {
            at++;
        }
        try {
            return Integer.parseInt(new String(codePoints, start, at - start));
        } catch (NumberFormatException e) {
            throw error("a repetition count is too large");
        }
    }

    private Automaton atom(int end) {
        int c = codePoints[at];
        switch (c) {
            case '(' -> {
                return group(end);
            }
            case '[' -> {
                return characterClass(end).language();
            }
            case '.' -> {
                at++;
                return CodePointSet.DOT.language();
            }
            case '\\' -> {
                return escape(end);
            }
            case '*', '+', '?' -> throw error("nothing to repeat");
            case '^', '$' -> throw error("anchors are supported only at the start and the end");
            default -> {
                at++;
                return Languages.range(c, c);
            }
        }
    }

    private Automaton group(int end) {
        at++; // '('
        if (++depth > MAX_NESTING) {
            throw error("groups nest deeper than " + MAX_NESTING);
        }
        if (at < end && codePoints[at] == '?') {
            if (startsWith("?:")) {
                at += 2;
            } else if (startsWith("?P<") || startsWith("?<") && !startsWith("?<=") && !startsWith("?<!")) {
                while (at < end && codePoints[at] != '>') {
                    at++;
                }
                at++;
            } else {
                throw error("look-around and inline flags are not regular; they are not supported");
            }
        }
        Automaton inner = alternation(end);
        if (at >= end || codePoints[at] != ')') {
            throw error("missing ')'");
        }
        at++;
        depth--;
        return inner;
    }

    private boolean startsWith(String text) {
        int[] wanted = text.codePoints().toArray();
        if (at + wanted.length > codePoints.length) {
            return false;
        }
        for (int i = 0; i < wanted.length; i++) {
            if (codePoints[at + i] != wanted[i]) {
                return false;
            }
        }
        return true;
    }

    private CodePointSet characterClass(int end) {
        at++; // '['
        boolean negated = at < end && codePoints[at] == '^';
        if (negated) {
            at++;
        }
        CodePointSet set = CodePointSet.none();
        boolean first = true;
        while (at < end && (codePoints[at] != ']' || first)) {
            first = false;
            CodePointSet item;
            int low;
            if (codePoints[at] == '\\') {
                if (at + 1 >= end) {
                    throw error("missing ']'");
                }
                CodePointSet shorthand = shorthand(codePoints[at + 1]);
                if (shorthand != null) {
                    at += 2;
                    set = set.with(shorthand);
                    continue;
                }
                low = escapedCodePoint(end, true);
            } else {
                low = codePoints[at++];
            }
            int high = low;
            if (at + 1 < end && codePoints[at] == '-' && codePoints[at + 1] != ']') {
                at++;
                high = codePoints[at] == '\\' ? escapedCodePoint(end, true) : codePoints[at++];
                if (high < low) {
                    throw error("a character range is out of order");
                }
            }
            item = CodePointSet.of(low, high);
            set = set.with(item);
        }
        if (at >= end) {
            throw error("missing ']'");
        }
        at++; // ']'
        return negated ? set.complement() : set;
    }

    private Automaton escape(int end) {
        if (at + 1 >= end) {
            throw error("a pattern cannot end with '\\'");
        }
        CodePointSet shorthand = shorthand(codePoints[at + 1]);
        if (shorthand != null) {
            at += 2;
            return shorthand.language();
        }
        int c = codePoints[at + 1];
        if (c == 'b' || c == 'B' || c == 'A' || c == 'Z' || c == 'z') {
            throw error("anchors and word boundaries are supported only as ^ at the start and $ at the end");
        }
        if (c >= '1' && c <= '9') {
            throw error("back-references are not regular; they are not supported");
        }
        int codePoint = escapedCodePoint(end, false);
        return Languages.range(codePoint, codePoint);
    }

    private static CodePointSet shorthand(int c) {
        return switch (c) {
            case 'd' -> CodePointSet.DIGITS;
            case 'D' -> CodePointSet.DIGITS.complement();
            case 'w' -> CodePointSet.WORD;
            case 'W' -> CodePointSet.WORD.complement();
            case 's' -> CodePointSet.SPACE;
            case 'S' -> CodePointSet.SPACE.complement();
            default -> null;
        };
    }

    /** The code point an escape such as {@code \n}, {@code \x41}, {@code \u00e9} or {@code \.} stands for. */
    private int escapedCodePoint(int end, boolean inClass) {
        at++; // '\\'
        int c = codePoints[at++];
        return switch (c) {
            case 'n' -> '\n';
            case 't' -> '\t';
            case 'r' -> '\r';
            case 'f' -> '\f';
            case 'v' -> 0x0B;
            case '0' -> 0;
            case 'b' -> inClass ? '\b' : c;
            case 'x' -> hex(2, end);
            case 'u' -> codePoints[at] == '{' ? braced(end) : hex(4, end);
            default -> {
                if (Character.isLetterOrDigit(c)) {
                    throw error("unknown escape \\" + Character.toString(c));
                }
                yield c;
            }
        };
    }

    private int hex(int digits, int end) {
        if (at + digits > end) {
            throw error("an escape needs " + digits + " hexadecimal digits");
        }
        try {
            int value = Integer.parseInt(new String(codePoints, at, digits), 16);
            at += digits;
            return value;
        } catch (NumberFormatException e) {
            throw error("an escape needs " + digits + " hexadecimal digits");
        }
    }

    private int braced(int end) {
        int close = at;
        while (close < end && codePoints[close] != '}') {
            close++;
        }
        at++;
        int value = hex(close - at, end);
        at++;
        if (value > Languages.MAX_CODE_POINT) {
            throw error("no such code point");
        }
        return value;
    }

    private ConstraintException error(String problem) {
        return new ConstraintException("the regular expression `" + pattern + "` cannot be used at position "
                + Math.min(at, codePoints.length) + ": " + problem);
    }
}
