package io.tributary.openapi;

import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The contract is one other tools accept: swagger-parser, the parser behind the OpenAPI generators, reads it
 * without a message. It reports what a hand-written YAML goes wrong on, such as a description with a comma inside a
 * flow mapping, whose tail becomes a bogus schema key.
 */
class ContractValidityTest {

    @Test
    void aStandardParserReadsTheContractWithoutAMessage() throws IOException {
        String contract = Files.readString(Path.of("openapi.yaml"));
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        SwaggerParseResult result = new OpenAPIV3Parser().readContents(contract, null, options);

        assertThat(result.getMessages()).isEmpty();
        assertThat(result.getOpenAPI()).isNotNull();
        assertThat(result.getOpenAPI().getPaths()).containsKeys("/generate", "/v1/chat/completions");
    }
}
