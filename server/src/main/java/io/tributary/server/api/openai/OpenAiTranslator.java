package io.tributary.server.api.openai;

import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.refusal.RequestRefusedException;
import io.tributary.server.chat.ChatMessage;
import io.tributary.server.chat.ChatTemplate;
import io.tributary.server.chat.ChatTemplateException;
import io.tributary.server.mixture.ServedModel;
import io.tributary.server.serving.PromptInputs;
import io.tributary.server.serving.RequestTranslator;
import io.tributary.server.serving.RequestValidationException;
import io.tributary.server.structured.FormatFields;
import io.tributary.server.toolcalls.ToolCall;
import io.tributary.server.toolcalls.ToolCallReader;
import io.tributary.server.toolcalls.ToolRequest;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import static io.tributary.server.api.openai.OpenAiRequestException.invalid;

/**
 * Turns OpenAI-style requests into generations: chat messages rendered with the checkpoints' own chat template,
 * images from {@code image_url} data URIs, OpenAI's sampling fields in TGI's terms. Then the same path as every
 * other route ({@link RequestTranslator}), so limits and checks are the same everywhere.
 */
@Component
class OpenAiTranslator {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** OpenAI's limit on {@code top_logprobs}. */
    static final int MAX_TOP_LOGPROBS = 20;

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    private final ServedModel model;
    private final RequestTranslator translator;

    OpenAiTranslator(ServedModel model, RequestTranslator translator) {
        this.model = model;
        this.translator = translator;
    }

    /** A chat request, and what finds the calls of its tools in the answer ({@code null}: none are looked for). */
    record PreparedChat(GenerationRequest request, ToolCallReader calls) {}

    PreparedChat chat(ChatCompletionRequest request) {
        if (request == null) {
            throw new RequestValidationException("the request body is empty");
        }
        SamplingOptions.ignoreUnknown(request.unknown());
        ToolRequest tools = ToolRequest.of(request.tools(), request.toolChoice());
        FormatFields.Requested format = FormatFields.openAi(
                request.responseFormat(),
                request.guidedJson(),
                request.guidedRegex(),
                request.guidedChoice(),
                request.guidedGrammar());
        int topLogprobs = topLogprobs(request.logprobs(), request.topLogprobs());

        ChatTemplate template = model.prompts()
                .chatTemplate()
                .orElseThrow(() -> new RequestValidationException(
                        "this mixture's checkpoints have no chat template (chat_template in tokenizer_config.json): "
                                + "use /v1/completions with a prompt written out"));
        List<ChatMessage> messages = messages(request.messages());
        List<ImageInput> images =
                messages.stream().flatMap(message -> message.images().stream()).toList();
        String placeholder = model.prompts().imagePlaceholder().orElse(null);
        if (!images.isEmpty() && placeholder == null) {
            throw invalid("messages", "contain an image, but this mixture's experts read text only");
        }
        String rendered;
        try {
            rendered = template.render(messages, true, placeholder, tools.templateInput());
        } catch (ChatTemplateException e) {
            throw invalid("messages", "cannot be rendered by the chat template: " + e.getMessage());
        }
        if (!images.isEmpty() && occurrences(rendered, placeholder) != images.size()) {
            throw invalid(
                    "messages",
                    "carry " + images.size() + " images, but the chat template placed "
                            + occurrences(rendered, placeholder) + " (does the text contain " + placeholder + "?)");
        }
        int[] tokens = RequestTranslator.requireTokens(model.prompts().encodeRendered(rendered), "`messages`");
        Integer maxTokens = maxTokens(
                request.maxCompletionTokens() != null ? "max_completion_tokens" : "max_tokens",
                request.maxCompletionTokens() != null ? request.maxCompletionTokens() : request.maxTokens(),
                new Prompt(tokens, images));
        SamplingOptions sampling = new SamplingOptions(
                request.temperature(),
                request.topP(),
                request.seed(),
                request.stop(),
                request.n(),
                request.presencePenalty(),
                request.frequencyPenalty(),
                request.logitBias(),
                request.topK(),
                request.repetitionPenalty(),
                request.minP(),
                request.minTokens(),
                request.ignoreEos(),
                request.stopTokenIds(),
                request.routing());
        GenerationRequest generation = translator.translate(
                new PromptInputs(rendered, images),
                tokens,
                sampling.toParameters(maxTokens),
                sampling.extras(),
                topLogprobs,
                false);
        ToolCallReader calls = ToolCallReader.of(tools, template.source());
        if (!tools.mustCall().isEmpty()) {
            if (format != null) {
                throw invalid(
                        format.field(),
                        "cannot be combined with tool_choice "
                                + tools.choice().name().toLowerCase(Locale.ROOT)
                                + ": the answer is a tool call");
            }
            // A call must be made, so the answer is read for calls: the reader knows the template's syntax.
            format = new FormatFields.Requested(calls.syntax().oneCallOf(tools.mustCall()), "tool_choice");
        }
        return new PreparedChat(constrain(generation, format), calls);
    }

    private GenerationRequest constrain(GenerationRequest generation, FormatFields.Requested format) {
        return format == null
                ? generation
                : translator.constrain(generation, format.format(), "`" + format.field() + "`");
    }

    /** A {@code /v1/completions} request, and the prompt text it was made from (for {@code echo}). */
    record PreparedCompletion(GenerationRequest request, String prompt) {}

    PreparedCompletion completion(CompletionRequest request) {
        if (request == null) {
            throw new RequestValidationException("the request body is empty");
        }
        SamplingOptions.ignoreUnknown(request.unknown());
        if (request.suffix() != null && !request.suffix().isEmpty()) {
            throw invalid("suffix", "is not supported by this server");
        }
        if (request.bestOf() != null && request.bestOf() != 1) {
            throw invalid("best_of", "must be 1: this server returns one choice per request");
        }
        if (request.logprobs() != null && (request.logprobs() < 0 || request.logprobs() > 5)) {
            throw invalid("logprobs", "must be between 0 and 5. Given: " + request.logprobs());
        }
        if (Boolean.TRUE.equals(request.echo()) && request.logprobs() != null) {
            throw invalid("echo", "cannot be combined with `logprobs`: this server does not score prompt tokens");
        }
        String text = promptText(request.prompt());
        translator.checkInputLength("`prompt`", text.length());
        PromptInputs prompt = translator.parseInputs(text);
        int[] tokens = RequestTranslator.requireTokens(model.prompts().encode(prompt.text()), "`prompt`");
        // OpenAI's default for completions is 16 tokens.
        Integer maxTokens = request.maxTokens() == null
                ? Integer.valueOf(16)
                : maxTokens("max_tokens", request.maxTokens(), new Prompt(tokens, prompt.images()));
        SamplingOptions sampling = new SamplingOptions(
                request.temperature(),
                request.topP(),
                request.seed(),
                request.stop(),
                request.n(),
                request.presencePenalty(),
                request.frequencyPenalty(),
                request.logitBias(),
                request.topK(),
                request.repetitionPenalty(),
                request.minP(),
                request.minTokens(),
                request.ignoreEos(),
                request.stopTokenIds(),
                request.routing());
        int topTokens = request.logprobs() == null ? 0 : request.logprobs();
        FormatFields.Requested format = FormatFields.openAi(
                request.responseFormat(),
                request.guidedJson(),
                request.guidedRegex(),
                request.guidedChoice(),
                request.guidedGrammar());
        GenerationRequest generation = translator.translate(
                prompt, tokens, sampling.toParameters(maxTokens), sampling.extras(), topTokens, false);
        return new PreparedCompletion(constrain(generation, format), text);
    }

    /**
     * {@code GET /v1/models/{id}} finds only the served mixture. Generation requests may name any model, as TGI
     * allows: one server serves one model, and Hugging Face's own client sends its endpoint URL as the model.
     */
    void checkModel(String requested) {
        if (requested != null && !requested.isEmpty() && !requested.equals(model.name())) {
            throw new ModelNotFoundException(requested, model.name());
        }
    }

    private static int topLogprobs(Boolean logprobs, Integer topLogprobs) {
        if (topLogprobs == null) {
            return 0;
        }
        if (!Boolean.TRUE.equals(logprobs)) {
            throw invalid("top_logprobs", "requires `logprobs` to be true");
        }
        if (topLogprobs < 0 || topLogprobs > MAX_TOP_LOGPROBS) {
            throw invalid("top_logprobs", "must be between 0 and " + MAX_TOP_LOGPROBS + ". Given: " + topLogprobs);
        }
        return topLogprobs;
    }

    /** The tokens asked for, or when none is given as much as the context and the limits leave (as vLLM). */
    private Integer maxTokens(String field, Integer requested, Prompt prompt) {
        if (requested != null) {
            if (requested <= 0) {
                throw invalid(field, "must be at least 1. Given: " + requested);
            }
            return requested;
        }
        int positions;
        try {
            positions = model.promptPositions(prompt);
        } catch (RequestRefusedException e) {
            throw invalid("messages", e.getMessage());
        }
        return translator.roomForNewTokens(positions);
    }

    private List<ChatMessage> messages(List<ChatCompletionRequest.Message> wire) {
        if (wire == null || wire.isEmpty()) {
            throw invalid("messages", "must hold at least one message");
        }
        List<ChatMessage> messages = new ArrayList<>(wire.size());
        int characters = 0;
        for (int i = 0; i < wire.size(); i++) {
            ChatCompletionRequest.Message message = wire.get(i);
            String where = "messages[" + i + "]";
            if (message == null) {
                throw invalid(where, "must be an object");
            }
            SamplingOptions.refuseUnknown(message.unknown(), " in " + where);
            if (message.role() == null || !ROLES.contains(message.role())) {
                throw invalid(
                        where + ".role", "must be one of system, user, assistant, tool. Given: " + message.role());
            }
            // OpenAI's "developer" role is the system prompt under a newer name; templates know "system".
            String role = "developer".equals(message.role()) ? "system" : message.role();
            boolean onlyCalls = (message.content() == null || message.content().isNull())
                    && message.toolCalls() != null
                    && !message.toolCalls().isEmpty();
            List<ChatMessage.Part> parts = onlyCalls
                    ? List.of() // an assistant turn that only called tools
                    : MessageContent.parts(message.content(), where + ".content", translator::fetchImage);
            for (ChatMessage.Part part : parts) {
                characters +=
                        part instanceof ChatMessage.Text text ? text.text().length() : 0;
            }
            messages.add(new ChatMessage(role, parts, toolCalls(message, where), toolCallId(message, where)));
        }
        translator.checkInputLength("`messages`", characters);
        long images =
                messages.stream().mapToLong(message -> message.images().size()).sum();
        translator.checkImageCount("`messages`", images);
        return messages;
    }

    /** The calls an assistant turn made, as OpenAI writes them: arguments as a JSON object in a string. */
    private static List<ToolCall> toolCalls(ChatCompletionRequest.Message message, String where) {
        JsonNode calls = message.toolCalls();
        if (calls == null || calls.isNull() || calls.isArray() && calls.isEmpty()) {
            return List.of(); // generated clients send an empty list for none
        }
        if (!"assistant".equals(message.role()) || !calls.isArray()) {
            throw invalid(where + ".tool_calls", "must be a list, on an assistant message");
        }
        List<ToolCall> parsed = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            JsonNode call = calls.get(i);
            String at = where + ".tool_calls[" + i + "]";
            String name = call.path("function").path("name").asString(null);
            String arguments = call.path("function").path("arguments").asString(null);
            if (name == null || arguments == null || !isJsonObject(arguments)) {
                throw invalid(at, "must have function.name and function.arguments, a JSON object in a string");
            }
            parsed.add(new ToolCall(call.path("id").asString("call_" + i), name, arguments));
        }
        return parsed;
    }

    private static String toolCallId(ChatCompletionRequest.Message message, String where) {
        if (!"tool".equals(message.role())) {
            return null;
        }
        if (message.toolCallId() == null || message.toolCallId().isEmpty()) {
            throw invalid(where + ".tool_call_id", "is required on a tool message");
        }
        return message.toolCallId();
    }

    private static boolean isJsonObject(String text) {
        try {
            return JSON.readTree(text).isObject();
        } catch (JacksonException e) {
            return false;
        }
    }

    private static String promptText(JsonNode prompt) {
        if (prompt != null && prompt.isString() && !prompt.asString().isEmpty()) {
            return prompt.asString();
        }
        if (prompt != null
                && prompt.isArray()
                && prompt.size() == 1
                && prompt.get(0).isString()
                && !prompt.get(0).asString().isEmpty()) {
            return prompt.get(0).asString();
        }
        if (prompt != null && prompt.isArray() && prompt.size() > 1) {
            throw invalid("prompt", "must be one prompt: this server returns one choice per request");
        }
        throw invalid("prompt", "must be a non-empty string");
    }

    private static int occurrences(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
            count++;
        }
        return count;
    }
}
