package io.tributary.server.api;

import io.tributary.server.HttpTestClient;
import io.tributary.server.mixture.ServedModel;
import io.tributary.server.serving.GenerateParameters;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.bean.override.convention.TestBean;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The contract in openapi/ and the controllers describe the same HTTP surface, in both directions. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OpenApiContractTest {

    private static final String PAGES = "io.tributary.server.playground";

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mappings;

    @TestBean(methodName = "io.tributary.server.FakeMixture#twoExperts")
    ServedModel servedModel;

    @LocalServerPort
    int port;

    @Test
    void everyDocumentedOperationIsServedAndEveryApiRouteIsDocumented() throws Exception {
        String yaml = new HttpTestClient(port).get("/openapi.yaml").body();
        JsonNode contract = YAMLMapper.builder().build().readTree(yaml);

        Set<String> documented = new HashSet<>();
        contract.get("paths")
                .properties()
                .forEach(path -> path.getValue()
                        .properties()
                        .forEach(operation ->
                                documented.add(operation.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey())));
        Set<String> served = new HashSet<>();
        for (var mapping : mappings.getHandlerMethods().entrySet()) {
            RequestMappingInfo info = mapping.getKey();
            if (mapping.getValue().getBeanType().getPackageName().equals(PAGES)) {
                continue; // HTML pages for people, not API operations
            }
            for (String path : info.getPatternValues()) {
                if (path.startsWith("/error") || path.equals("/openapi.yaml")) {
                    continue; // Spring's error page and the contract itself
                }
                info.getMethodsCondition().getMethods().forEach(method -> served.add(method.name() + " " + path));
            }
        }

        assertThat(documented).isNotEmpty().containsExactlyInAnyOrderElementsOf(served);
    }

    @Test
    void everyGenerationParameterIsDocumented() throws Exception {
        JsonNode contract = YAMLMapper.builder()
                .build()
                .readTree(new HttpTestClient(port).get("/openapi.yaml").body());
        Set<String> documented = new HashSet<>();
        contract.get("components")
                .get("schemas")
                .get("GenerateParameters")
                .get("properties")
                .properties()
                .forEach(property -> documented.add(property.getKey()));
        Set<String> accepted = new HashSet<>();
        for (var component : GenerateParameters.class.getRecordComponents()) {
            accepted.add(component.getName().replaceAll("([A-Z])", "_$1").toLowerCase(Locale.ROOT));
        }
        assertThat(documented).containsExactlyInAnyOrderElementsOf(accepted);
    }
}
