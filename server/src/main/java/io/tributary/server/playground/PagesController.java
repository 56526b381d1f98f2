package io.tributary.server.playground;

import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;

/**
 * The two pages for people: the playground at {@code GET /} and Swagger UI over the API contract at
 * {@code GET /docs}. Both are plain static files in the jar ({@code static/playground/}) with no build step and no
 * network use; their scripts call the API with relative URLs, so they also work behind a path prefix.
 *
 * <p>{@code GET /} is mapped here rather than left to Spring's welcome page, which would answer
 * 405 once another method is mapped on {@code /}. {@code GET /playground/examples.json} lists the example questions
 * the served mixture ships ({@link PlaygroundExamples}).
 */
@RestController
class PagesController {

    private static final Resource PLAYGROUND = new ClassPathResource("static/playground/index.html");
    private static final Resource DOCS = new ClassPathResource("static/playground/docs.html");

    private final PlaygroundExamples examples;

    PagesController(PlaygroundExamples examples) {
        this.examples = examples;
    }

    @GetMapping("/")
    ResponseEntity<Resource> playground() {
        return page(PLAYGROUND);
    }

    @GetMapping("/docs")
    ResponseEntity<Resource> docs() {
        return page(DOCS);
    }

    @GetMapping("/playground/examples.json")
    List<PlaygroundExamples.Example> examples() {
        return examples.all();
    }

    private static ResponseEntity<Resource> page(Resource html) {
        // Revalidated on every load, so that an upgraded server never runs an old page against a new API.
        return ResponseEntity.ok()
                .contentType(MediaType.TEXT_HTML)
                .cacheControl(CacheControl.noCache())
                .body(html);
    }
}
