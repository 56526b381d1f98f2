package io.tributary.server;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The schemas of the API contract ({@code openapi/openapi.yaml}, as the server packages it), to check that what
 * tests send and receive is what the contract says: a response that drifts from the contract fails the test.
 */
public final class ContractSchemas {

    private static final String CONTRACT = "https://tributary.invalid/openapi.yaml";
    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(
            Dialects.getOpenApi30(), builder -> builder.schemas(Map.of(CONTRACT, read())));

    private ContractSchemas() {}

    /** Asserts that {@code json} is valid against the contract's {@code components.schemas.<name>}. */
    public static void assertValid(String name, JsonNode json) {
        Schema schema = SCHEMAS.getSchema(SchemaLocation.of(CONTRACT + "#/components/schemas/" + name));
        List<Error> errors = schema.validate(json);
        assertThat(errors).as("%s against the contract's %s", json, name).isEmpty();
    }

    private static String read() {
        try (InputStream in =
                ContractSchemas.class.getClassLoader().getResourceAsStream("META-INF/tributary/openapi.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
