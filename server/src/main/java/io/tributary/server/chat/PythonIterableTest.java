package io.tributary.server.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;

import java.util.Map;

/**
 * {@code is iterable} as in Python: strings are iterable too. Llama 3's templates write a tool result that
 * {@code is iterable} with {@code tojson}, so a string result is quoted, as transformers renders it.
 */
final class PythonIterableTest implements ExpTest {

    @Override
    public String getName() {
        return "iterable";
    }

    @Override
    public boolean evaluate(Object value, JinjavaInterpreter interpreter, Object... args) {
        return value instanceof CharSequence
                || value instanceof Iterable<?>
                || value instanceof Map<?, ?>
                || value != null && value.getClass().isArray();
    }
}
