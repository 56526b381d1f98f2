package io.tributary.server.api;

import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Serves the API contract that the openapi module holds, the single source of truth for the HTTP surface. */
@RestController
class OpenApiController {

    static final String CONTRACT = "META-INF/tributary/openapi.yaml";

    @GetMapping("/openapi.yaml")
    ResponseEntity<Resource> contract() {
        return ResponseEntity.ok()
                .contentType(MediaType.parseMediaType("application/yaml"))
                .body(new ClassPathResource(CONTRACT));
    }
}
