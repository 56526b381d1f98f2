package io.tributary.server.chat;

import java.util.Map;

/** Translates the C {@code strftime} directives chat templates use into a {@code DateTimeFormatter} pattern. */
final class StrftimeFormat {

    private static final Map<Character, String> DIRECTIVES = Map.ofEntries(
            Map.entry('d', "dd"),
            Map.entry('m', "MM"),
            Map.entry('Y', "yyyy"),
            Map.entry('y', "yy"),
            Map.entry('b', "MMM"),
            Map.entry('B', "MMMM"),
            Map.entry('a', "EEE"),
            Map.entry('A', "EEEE"),
            Map.entry('H', "HH"),
            Map.entry('I', "hh"),
            Map.entry('M', "mm"),
            Map.entry('S', "ss"),
            Map.entry('p', "a"),
            Map.entry('j', "DDD"));

    private StrftimeFormat() {}

    static String toJava(String format) {
        StringBuilder pattern = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            String directive = c == '%' && i + 1 < format.length() ? DIRECTIVES.get(format.charAt(i + 1)) : null;
            if (directive != null) {
                flushLiteral(literal, pattern);
                pattern.append(directive);
                i++;
            } else if (c == '%' && i + 1 < format.length() && format.charAt(i + 1) == '%') {
                literal.append('%');
                i++;
            } else {
                literal.append(c);
            }
        }
        flushLiteral(literal, pattern);
        return pattern.toString();
    }

    /** Quotes literal text, so letters in it are not read as pattern letters. */
    private static void flushLiteral(StringBuilder literal, StringBuilder pattern) {
        if (!literal.isEmpty()) {
            pattern.append('\'').append(literal.toString().replace("'", "''")).append('\'');
            literal.setLength(0);
        }
    }
}
