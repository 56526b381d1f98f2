package io.tributary.server.mixture;

import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed reading of one mapping of a manifest (the top level, {@code router}, {@code experts[1]}): every mistake is
 * reported with its key path and what was expected, in words an operator knows from the README, never as the
 * parser's class names.
 */
final class ManifestFields {

    private final Path file;
    private final JsonNode node;
    private final String path;

    private ManifestFields(Path file, JsonNode node, String path) {
        this.file = file;
        this.node = node;
        this.path = path;
    }

    /** @param path the mapping's own key path, empty for the top level */
    static ManifestFields mapping(Path file, JsonNode node, String path, List<String> known) {
        if (!node.isObject()) {
            String where = path.isEmpty() ? "the manifest" : path;
            throw new InvalidManifestException(
                    file,
                    path.isEmpty() ? null : path,
                    "expected a mapping with the keys " + String.join(", ", known) + ", but " + where + " is "
                            + describe(node));
        }
        ManifestFields fields = new ManifestFields(file, node, path);
        for (String name : node.propertyNames()) {
            if (!known.contains(name)) {
                String where = path.isEmpty() ? "at the top level" : "in " + path;
                throw new InvalidManifestException(
                        file,
                        fields.key(name),
                        "unknown key; the known keys " + where + " are " + String.join(", ", known)
                                + Suggestions.didYouMean(name, known));
            }
        }
        return fields;
    }

    /** The key path of one of this mapping's keys, e.g. {@code router.temperature}. */
    String key(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** Absent and empty ({@code key:} with no value) are the same in YAML. */
    boolean has(String name) {
        JsonNode value = node.get(name);
        return value != null && !value.isNull();
    }

    JsonNode get(String name) {
        return has(name) ? node.get(name) : null;
    }

    /** @return the text, or {@code null} when absent and not required */
    String text(String name, boolean required) {
        JsonNode value = get(name);
        if (value == null) {
            if (required) {
                throw problem(name, "is required");
            }
            return null;
        }
        if (!value.isString()) {
            throw problem(
                    name,
                    "expected text, got " + describe(value)
                            + (value.isValueNode() ? " (quote it if it is meant as text)" : ""));
        }
        if (value.asString().isBlank()) {
            throw problem(name, "must not be blank");
        }
        return value.asString();
    }

    /** A finite number greater than zero, or {@code null} when absent. */
    Double positiveNumber(String name) {
        JsonNode value = get(name);
        if (value == null) {
            return null;
        }
        if (!value.isNumber() || !Double.isFinite(value.asDouble()) || !(value.asDouble() > 0)) {
            throw problem(name, "expected a number greater than 0, got " + describe(value));
        }
        return value.asDouble();
    }

    /** A whole number in {@code [min, max]}, or {@code null} when absent. */
    Integer integer(String name, int min, int max, String range) {
        JsonNode value = get(name);
        if (value == null) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < min || value.asInt() > max) {
            throw problem(name, "expected a whole number " + range + ", got " + describe(value));
        }
        return value.asInt();
    }

    /** A list of {@code count} finite, non-negative numbers, not all zero; {@code null} when absent. */
    List<Double> weights(String name, int count, String what) {
        List<JsonNode> items = list(name, false);
        if (items == null) {
            return null;
        }
        if (items.size() != count) {
            throw problem(name, "expected " + count + " " + what + " (one per expert), got " + items.size());
        }
        List<Double> values = new ArrayList<>();
        double sum = 0;
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            if (!item.isNumber() || !Double.isFinite(item.asDouble()) || item.asDouble() < 0) {
                throw new InvalidManifestException(
                        file, key(name) + "[" + i + "]", "expected a number >= 0, got " + describe(item));
            }
            values.add(item.asDouble());
            sum += item.asDouble();
        }
        if (!(sum > 0)) {
            throw problem(name, "the " + what + " are all zero: at least one must be positive");
        }
        return values;
    }

    /** @return the items, or {@code null} when absent and not required */
    List<JsonNode> list(String name, boolean required) {
        JsonNode value = get(name);
        if (value == null) {
            if (required) {
                throw problem(name, "is required");
            }
            return null;
        }
        if (!value.isArray()) {
            throw problem(name, "expected a list, got " + describe(value));
        }
        List<JsonNode> items = new ArrayList<>();
        value.forEach(items::add);
        return items;
    }

    InvalidManifestException problem(String name, String problem) {
        return new InvalidManifestException(file, key(name), problem);
    }

    /** A value as the operator wrote it, e.g. "the text 'abc'", "the number -1", "a list". */
    static String describe(JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return "empty";
        }
        if (value.isString()) {
            return "the text '" + value.asString() + "'";
        }
        if (value.isNumber()) {
            return "the number " + value.asString();
        }
        if (value.isBoolean()) {
            return value.asString() + " (a yes/no value)";
        }
        return value.isArray() ? "a list" : "a mapping";
    }
}
