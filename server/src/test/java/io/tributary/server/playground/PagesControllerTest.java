package io.tributary.server.playground;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.FilterType;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.convention.TestBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.web.bind.annotation.ControllerAdvice;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * The pages are served from the jar at their URLs, and so is every file they load: scripts, styles, the
 * playground's modules and Swagger UI from its webjar. (The browser tests in src-test drive the pages themselves.)
 */
// The API's error advice (and the metrics it reports to) plays no part in serving pages.
// Pages only: the API's advice and the request-size filter (which needs the whole configuration) stay out.
@WebMvcTest(
        controllers = PagesController.class,
        excludeFilters = {
            @ComponentScan.Filter(ControllerAdvice.class),
            @ComponentScan.Filter(
                    type = FilterType.REGEX,
                    pattern = "io\\.tributary\\.server\\.config\\.RequestSizeFilter")
        })
class PagesControllerTest {

    private static final Pattern PAGE_REFERENCE = Pattern.compile("(?:src|href)=\"([^\"#:]+)\"");
    private static final Pattern MODULE_IMPORT = Pattern.compile("from '\\./([^']+)'");

    @TestBean(methodName = "oneExample")
    PlaygroundExamples examples;

    @Autowired
    MockMvc mvc;

    static PlaygroundExamples oneExample() {
        return new PlaygroundExamples(List.of(
                new PlaygroundExamples.Example("data:image/png;base64,iVBORw0KGgo=", "What digit is shown?", "3")));
    }

    @Test
    void theMixturesExamplesAreServedBesideThePlayground() throws Exception {
        mvc.perform(get("/playground/examples.json"))
                .andExpect(status().isOk())
                .andExpect(content().json("""
                        [{"image": "data:image/png;base64,iVBORw0KGgo=", "question": "What digit is shown?",
                          "answer": "3"}]"""));
    }

    @Test
    void theRootServesThePlaygroundAndEveryFileItLoads() throws Exception {
        String page = html("/");
        assertThat(page).contains("<title>Tributary playground</title>", "id=\"chart\"", "href=\"docs\"");

        List<String> files = served(page, "/");
        assertThat(files).contains("/playground/playground.js", "/playground/playground.css");
        String script = mvc.perform(get("/playground/playground.js"))
                .andReturn()
                .getResponse()
                .getContentAsString();
        List<String> modules = MODULE_IMPORT
                .matcher(script)
                .results()
                .map(match -> match.group(1))
                .toList();
        assertThat(modules).contains("request.js", "stream.js", "tokens.js");
        for (String module : modules) {
            mvc.perform(get("/playground/" + module)).andExpect(status().isOk());
        }
    }

    @Test
    void docsServesSwaggerUiFromTheJar() throws Exception {
        String page = html("/docs");
        assertThat(served(page, "/"))
                .contains(
                        "/webjars/swagger-ui/swagger-ui-bundle.js",
                        "/webjars/swagger-ui/swagger-ui.css",
                        "/playground/docs.js");
        String init = mvc.perform(get("/playground/docs.js"))
                .andReturn()
                .getResponse()
                .getContentAsString();
        assertThat(init).contains("'openapi.yaml'", "validatorUrl: null");
    }

    private String html(String path) throws Exception {
        MvcResult result = mvc.perform(get(path).accept(MediaType.TEXT_HTML))
                .andExpect(status().isOk())
                .andExpect(content().contentTypeCompatibleWith(MediaType.TEXT_HTML))
                .andReturn();
        return result.getResponse().getContentAsString();
    }

    /** Requests each relative file {@code page} references (except links to the API) and returns their paths. */
    private List<String> served(String page, String base) throws Exception {
        List<String> paths = new ArrayList<>();
        Matcher matcher = PAGE_REFERENCE.matcher(page);
        while (matcher.find()) {
            String path = base + matcher.group(1);
            if (path.equals("/docs") || path.equals("/openapi.yaml") || path.equals("/./")) {
                continue; // the other page and the contract: served by their controllers, tested beside them
            }
            mvc.perform(get(path)).andExpect(status().isOk());
            paths.add(path);
        }
        return paths;
    }
}
