package io.tributary.server.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

import java.lang.reflect.Array;
import java.util.Iterator;
import java.util.Map;

/**
 * {@code tojson} as transformers renders chat templates: Python's {@code json.dumps(value, ensure_ascii=False)},
 * whose separators are {@code ", "} and {@code ": "}, or with {@code indent} one item per line. Templates write the
 * tools and the calls' arguments with it, so the model sees them exactly as in training.
 */
final class PythonJsonFilter implements Filter {

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
        return filter(value, interpreter, args, Map.of());
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
        StringBuilder out = new StringBuilder();
        write(value, indent == null ? -1 : Integer.parseInt(String.valueOf(indent)), 0, out);
        return out.toString();
    }

    /** @param indent spaces per level, or -1 for one line */
    static void write(Object value, int indent, int level, StringBuilder out) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long) {
            out.append(value);
        } else if (value instanceof Number number) {
            double d = number.doubleValue();
            out.append(d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e16 ? (long) d + ".0" : d);
        } else if (value instanceof Map<?, ?> map) {
            writeItems(map.entrySet().iterator(), map.isEmpty(), '{', '}', indent, level, out);
        } else if (value instanceof Iterable<?> items) {
            writeItems(items.iterator(), !items.iterator().hasNext(), '[', ']', indent, level, out);
        } else if (value.getClass().isArray()) {
            java.util.List<Object> items = new java.util.ArrayList<>();
            for (int i = 0; i < Array.getLength(value); i++) {
                items.add(Array.get(value, i));
            }
            write(items, indent, level, out);
        } else {
            string(String.valueOf(value), out);
        }
    }

    private static void writeItems(
            Iterator<?> items, boolean empty, char open, char close, int indent, int level, StringBuilder out) {
        out.append(open);
        if (empty) {
            out.append(close);
            return;
        }
        boolean first = true;
        while (items.hasNext()) {
            Object item = items.next();
            if (!first) {
                out.append(indent < 0 ? ", " : ",");
            }
            first = false;
            if (indent >= 0) {
                out.append('\n').append(" ".repeat(indent * (level + 1)));
            }
            if (item instanceof Map.Entry<?, ?> entry) {
                string(String.valueOf(entry.getKey()), out);
                out.append(": ");
                write(entry.getValue(), indent, level + 1, out);
            } else {
                write(item, indent, level + 1, out);
            }
        }
        if (indent >= 0) {
            out.append('\n').append(" ".repeat(indent * level));
        }
        out.append(close);
    }

    private static void string(String text, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
