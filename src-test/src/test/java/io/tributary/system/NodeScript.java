package io.tributary.system;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs one of the Node scripts in {@code clients/} (installed by the build) and reads the JSON it prints. */
final class NodeScript {

    private NodeScript() {}

    static JsonNode run(String script, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("node", script));
        command.addAll(List.of(args));
        Process node = new ProcessBuilder(command)
                .directory(Path.of("clients").toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(node.waitFor(300, TimeUnit.SECONDS))
                .as("%s finished", script)
                .isTrue();
        assertThat(node.exitValue()).as("%s failed; output: %s", script, output).isZero();
        return new ObjectMapper().readTree(output);
    }
}
