package io.tributary.server.chat;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites of a template's source, each meaning the same in Jinja, for what Jinjava reads otherwise:
 *
 * <ul>
 *   <li>The value of every keyword argument of a call goes in parentheses: {@code namespace(i=messages|length - 1)}
 *       becomes {@code namespace(i=(messages|length - 1))}. Jinjava binds the name to {@code messages|length} alone
 *       and then subtracts 1 from the named parameter, so Qwen3's template could not be rendered.
 *   <li>A reversing slice, {@code messages[::-1]}, becomes {@code messages|reverse}: Jinjava's slices take no step.
 *   <li>Whitespace control ({@code {{-}, {@code -%}}, ...) is applied to the text around the tags (see
 *       {@link #stripTrailingWhitespace}).
 *   <li>{@code not x is defined} becomes {@code not (x is defined)}: in Jinja a test binds tighter than
 *       {@code not}, Jinjava reads {@code (not x) is defined}, so Llama 3.2's template dropped its tools.
 *   <li>{@code strftime_now is defined} becomes {@code true}: the function is always there (Jinjava does not see
 *       functions as defined names), so Llama 3.2's template dates its prompt today, as transformers does.
 * </ul>
 *
 * <p>Only the insides of {@code {{ }}} and {@code {% %}} are touched, string literals are skipped, and {@code ==},
 * {@code !=}, {@code <=} and {@code >=} are comparisons, not arguments.
 */
final class JinjavaRewrites {

    private static final Pattern TAG = Pattern.compile("\\{[{%].*?[%}]}", Pattern.DOTALL);
    private static final Pattern NEGATED_TEST =
            Pattern.compile("\\bnot\\s+([A-Za-z_][\\w.]*(?:\\[[^\\]]*])*)\\s+is\\s+(not\\s+)?([A-Za-z_]\\w*)\\b");
    private static final Pattern STRFTIME_DEFINED = Pattern.compile("\\bstrftime_now\\s+is\\s+defined\\b");
    private static final Pattern REVERSING_SLICE = Pattern.compile("\\[\\s*:\\s*:\\s*-\\s*1\\s*\\](?!\\s*[\\[.])");

    private JinjavaRewrites() {}

    /** {@code source} with the rewrites. */
    static String apply(String source) {
        return rewriteTests(rewriteTags(source));
    }

    /** The test rewrites, inside tags only. */
    private static String rewriteTests(String source) {
        Matcher tag = TAG.matcher(source);
        StringBuilder out = new StringBuilder(source.length() + 16);
        while (tag.find()) {
            String rewritten = STRFTIME_DEFINED.matcher(tag.group()).replaceAll("true");
            rewritten = NEGATED_TEST.matcher(rewritten).replaceAll("not ($1 is $2$3)");
            tag.appendReplacement(out, Matcher.quoteReplacement(rewritten));
        }
        tag.appendTail(out);
        return out.toString();
    }

    private static String rewriteTags(String source) {
        StringBuilder out = new StringBuilder(source.length() + 16);
        int i = 0;
        while (i < source.length()) {
            int open = nextTag(source, i);
            if (open < 0) {
                out.append(source, i, source.length());
                break;
            }
            out.append(source, i, open);
            if (open + 2 < source.length() && source.charAt(open + 2) == '-') {
                stripTrailingWhitespace(out);
            }
            char kind = source.charAt(open + 1);
            String close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
            out.append(source, open, open + 2);
            i = kind == '#' ? comment(source, open + 2, out) : expression(source, open + 2, close, out);
            if (out.length() >= 3 && out.charAt(out.length() - 3) == '-') {
                while (i < source.length() && Character.isWhitespace(source.charAt(i))) {
                    i++;
                }
            }
        }
        return out.toString();
    }

    private static int nextTag(String source, int from) {
        for (int i = source.indexOf('{', from); i >= 0 && i + 1 < source.length(); i = source.indexOf('{', i + 1)) {
            char next = source.charAt(i + 1);
            if (next == '{' || next == '%' || next == '#') {
                return i;
            }
        }
        return -1;
    }

    /**
     * Whitespace control done here, in the text: a tag opened with {@code -} strips the whitespace before it, one
     * closed with {@code -} the whitespace after it, newlines included, as Jinja's lexer does. Jinjava strips only
     * part of it when {@code trim_blocks} has already taken a newline ({@code "{%- if x %}\n    {{- 'A' }}"}
     * rendered {@code "    A"}).
     */
    private static void stripTrailingWhitespace(StringBuilder out) {
        int end = out.length();
        while (end > 0 && Character.isWhitespace(out.charAt(end - 1)) && !endsTag(out, end)) {
            end--;
        }
        out.setLength(end);
    }

    private static boolean endsTag(StringBuilder out, int end) {
        return end >= 2 && out.charAt(end - 1) == '}' && "}%#".indexOf(out.charAt(end - 2)) >= 0;
    }

    /** Copies a comment's inside through {@code #}} verbatim; returns the index after it. */
    private static int comment(String source, int i, StringBuilder out) {
        int end = source.indexOf("#}", i);
        int stop = end < 0 ? source.length() : end + 2;
        out.append(source, i, stop);
        return stop;
    }

    /**
     * Copies one tag's inside from {@code i} through its {@code close}, rewritten; returns the
     * index after the close (or the end of the source, for a tag left open).
     */
    private static int expression(String source, int i, String close, StringBuilder out) {
        // Per open bracket: whether it is a call's, and whether a keyword argument's parenthesis is open in it.
        Deque<boolean[]> brackets = new ArrayDeque<>();
        while (i < source.length()) {
            char c = source.charAt(i);
            if (brackets.isEmpty() && source.startsWith(close, i)) {
                out.append(close);
                return i + close.length();
            }
            if (c == '\'' || c == '"') {
                int end = endOfString(source, i);
                out.append(source, i, end);
                i = end;
                continue;
            }
            if (c == '[') {
                Matcher slice = REVERSING_SLICE.matcher(source).region(i, source.length());
                if (slice.lookingAt()) {
                    out.append("|reverse");
                    i = slice.end();
                    continue;
                }
            }
            if (c == '(' || c == '[' || c == '{') {
                boolean call = c == '(' && followsCallee(out);
                brackets.push(new boolean[] {call, false});
                out.append(c);
                i = call ? keywordStart(source, i + 1, out, brackets.peek()) : i + 1;
                continue;
            }
            if ((c == ')' || c == ']' || c == '}') && !brackets.isEmpty()) {
                closeArgument(brackets.pop(), out);
                out.append(c);
                i++;
                continue;
            }
            if (c == ',' && !brackets.isEmpty() && brackets.peek()[0]) {
                closeArgument(brackets.peek(), out);
                out.append(c);
                i = keywordStart(source, i + 1, out, brackets.peek());
                continue;
            }
            out.append(c);
            i++;
        }
        return i;
    }

    /**
     * At the start of a call's argument: copies {@code name =} and opens a parenthesis when the argument is a keyword
     * argument. Returns where the argument's value starts.
     */
    private static int keywordStart(String source, int i, StringBuilder out, boolean[] call) {
        int j = i;
        while (j < source.length() && Character.isWhitespace(source.charAt(j))) {
            j++;
        }
        int name = j;
        while (j < source.length() && (Character.isLetterOrDigit(source.charAt(j)) || source.charAt(j) == '_')) {
            j++;
        }
        if (j == name || Character.isDigit(source.charAt(name))) {
            return i;
        }
        while (j < source.length() && Character.isWhitespace(source.charAt(j))) {
            j++;
        }
        if (j + 1 >= source.length() || source.charAt(j) != '=' || source.charAt(j + 1) == '=') {
            return i;
        }
        out.append(source, i, j + 1).append('(');
        call[1] = true;
        return j + 1;
    }

    private static void closeArgument(boolean[] bracket, StringBuilder out) {
        if (bracket[1]) {
            out.append(')');
            bracket[1] = false;
        }
    }

    /** Whether the text before a parenthesis names something called: a name, a call's result or an item. */
    private static boolean followsCallee(StringBuilder out) {
        int k = out.length() - 1;
        while (k >= 0 && Character.isWhitespace(out.charAt(k))) {
            k--;
        }
        if (k < 0) {
            return false;
        }
        char before = out.charAt(k);
        if (before == ')' || before == ']') {
            return true;
        }
        if (!Character.isLetterOrDigit(before) && before != '_') {
            return false;
        }
        int start = k;
        while (start > 0 && (Character.isLetterOrDigit(out.charAt(start - 1)) || out.charAt(start - 1) == '_')) {
            start--;
        }
        String word = out.substring(start, k + 1);
        // "not (a)", "in (a, b)", "if (x)": keywords before a parenthesised group, not calls.
        return !switch (word) {
            case "not", "and", "or", "in", "is", "if", "elif", "else", "for", "set", "return" -> true;
            default -> false;
        };
    }

    private static int endOfString(String source, int start) {
        char quote = source.charAt(start);
        int i = start + 1;
        while (i < source.length() && source.charAt(i) != quote) {
            i += source.charAt(i) == '\\' ? 2 : 1;
        }
        return Math.min(i + 1, source.length());
    }
}
