package io.tributary.server.chat;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Python's string methods, which chat templates call ({@code message['role'].upper()},
 * {@code content.strip()}, {@code text.startswith('<')}) and which Jinja inherits from Python but a Java engine
 * does not have: resolved here before the engine's own resolver sees a method call on a string.
 */
final class PythonStringMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
        if (!(base instanceof String text) || method == null) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        Object result = call(text, method.toString(), args);
        if (result != NOT_A_METHOD) {
            context.setPropertyResolved(true);
            return result;
        }
        return null;
    }

    private static final Object NOT_A_METHOD = new Object();

    private static Object call(String text, String method, Object[] args) {
        return switch (method) {
            case "upper" -> text.toUpperCase(Locale.ROOT);
            case "lower" -> text.toLowerCase(Locale.ROOT);
            case "strip" -> strip(text, chars(args), true, true);
            case "lstrip" -> strip(text, chars(args), true, false);
            case "rstrip" -> strip(text, chars(args), false, true);
            case "startswith" -> text.startsWith(String.valueOf(args[0]));
            case "endswith" -> text.endsWith(String.valueOf(args[0]));
            case "replace" -> text.replace(String.valueOf(args[0]), String.valueOf(args[1]));
            case "split" -> split(text, args.length == 0 || args[0] == null ? null : String.valueOf(args[0]));
            case "find" -> text.indexOf(String.valueOf(args[0]));
            case "count" -> count(text, String.valueOf(args[0]));
            case "title" -> title(text);
            case "capitalize" ->
                text.isEmpty()
                        ? text
                        : text.substring(0, 1).toUpperCase(Locale.ROOT)
                                + text.substring(1).toLowerCase(Locale.ROOT);
            default -> NOT_A_METHOD;
        };
    }

    private static String chars(Object[] args) {
        return args.length == 0 || args[0] == null ? null : String.valueOf(args[0]);
    }

    /** Python's strip: whitespace by default, else any of the given characters. */
    private static String strip(String text, String chars, boolean left, boolean right) {
        int start = 0;
        int end = text.length();
        while (left && start < end && stripped(text.charAt(start), chars)) {
            start++;
        }
        while (right && end > start && stripped(text.charAt(end - 1), chars)) {
            end--;
        }
        return text.substring(start, end);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
    }

    /** Python's split: on runs of whitespace with empty ends dropped by default, else on the separator exactly. */
    private static List<String> split(String text, String separator) {
        if (separator == null) {
            String trimmed = text.strip();
            return trimmed.isEmpty() ? List.of() : Arrays.asList(trimmed.split("\\s+"));
        }
        return Arrays.asList(text.split(java.util.regex.Pattern.quote(separator), -1));
    }

    private static int count(String text, String part) {
        if (part.isEmpty()) {
            return text.length() + 1;
        }
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
            count++;
        }
        return count;
    }

    private static String title(String text) {
        StringBuilder titled = new StringBuilder(text.length());
        boolean wordStart = true;
        for (char c : text.toCharArray()) {
            titled.append(wordStart ? Character.toUpperCase(c) : Character.toLowerCase(c));
            wordStart = !Character.isLetter(c);
        }
        return titled.toString();
    }

    // Only method calls are resolved here; properties are the engine's.

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
