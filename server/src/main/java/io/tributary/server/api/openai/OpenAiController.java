package io.tributary.server.api.openai;

import io.tributary.routing.decode.GenerationListener;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.server.config.TributaryProperties;
import io.tributary.server.mixture.ServedModel;
import io.tributary.server.serving.AsyncJson;
import io.tributary.server.serving.GenerationService;
import io.tributary.server.serving.SseEventQueue;
import io.tributary.server.toolcalls.ToolCallReader;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * The OpenAI-compatible API, as vLLM and TGI serve it: chat completions (images as {@code image_url} data URIs),
 * text completions and the model list. Each request may carry Tributary's {@code routing}; each choice reports the
 * experts' weights per token in {@code expert_weights}.
 */
@RestController
@RequestMapping("/v1")
class OpenAiController {

    private final OpenAiTranslator translator;
    private final GenerationService generations;
    private final ServedModel model;
    private final Executor streamWriter;
    private final Duration timeout;

    OpenAiController(
            OpenAiTranslator translator,
            GenerationService generations,
            ServedModel model,
            @Qualifier("sseWriter") Executor streamWriter,
            TributaryProperties properties) {
        this.translator = translator;
        this.generations = generations;
        this.model = model;
        this.streamWriter = streamWriter;
        this.timeout = properties.limits().requestTimeout();
    }

    @PostMapping(path = "/chat/completions", consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<ResponseBodyEmitter> chatCompletions(@RequestBody(required = false) ChatCompletionRequest body) {
        OpenAiTranslator.PreparedChat chat = translator.chat(body);
        GenerationRequest request = chat.request();
        ToolCallReader calls = chat.calls();
        OpenAiAnswers answers =
                OpenAiAnswers.start("chatcmpl-", model.name(), request.prompt().tokenIds().length);
        List<String> stops = request.stopping().stopSequences();
        boolean logprobs = Boolean.TRUE.equals(body.logprobs());
        int choices = body.n() == null ? 1 : body.n();
        if (Boolean.TRUE.equals(body.stream())) {
            return stream(
                    request,
                    choices,
                    includeUsage(body.streamOptions())
                            ? usage -> new ChatCompletionChunk(
                                    answers.id(),
                                    "chat.completion.chunk",
                                    answers.created(),
                                    answers.model(),
                                    List.of(),
                                    usage)
                            : null,
                    (events, index, end) ->
                            new ChatCompletionStream(events, answers, stops, logprobs, index, end, calls));
        }
        if (choices > 1) {
            return AsyncJson.emitter(
                    generations.generateAll(siblings(request, choices), timeout),
                    results -> answers.chatCompletion(results, stops, logprobs, calls),
                    timeout);
        }
        return AsyncJson.emitter(
                generations.generate(request, timeout),
                result -> answers.chatCompletion(List.of(result), stops, logprobs, calls),
                timeout);
    }

    @PostMapping(path = "/completions", consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<ResponseBodyEmitter> completions(@RequestBody(required = false) CompletionRequest body) {
        OpenAiTranslator.PreparedCompletion completion = translator.completion(body);
        GenerationRequest request = completion.request();
        OpenAiAnswers answers =
                OpenAiAnswers.start("cmpl-", model.name(), request.prompt().tokenIds().length);
        List<String> stops = request.stopping().stopSequences();
        boolean logprobs = body.logprobs() != null;
        String echo = Boolean.TRUE.equals(body.echo()) ? completion.prompt() : "";
        int choices = body.n() == null ? 1 : body.n();
        if (Boolean.TRUE.equals(body.stream())) {
            return stream(
                    request,
                    choices,
                    includeUsage(body.streamOptions())
                            ? usage -> new Completion(
                                    answers.id(),
                                    "text_completion",
                                    answers.created(),
                                    answers.model(),
                                    List.of(),
                                    usage)
                            : null,
                    (events, index, end) -> new CompletionStream(events, answers, stops, logprobs, index, end, echo));
        }
        if (choices > 1) {
            return AsyncJson.emitter(
                    generations.generateAll(siblings(request, choices), timeout),
                    results -> answers.completion(results, stops, logprobs, echo),
                    timeout);
        }
        return AsyncJson.emitter(
                generations.generate(request, timeout),
                result -> answers.completion(result, stops, logprobs, echo),
                timeout);
    }

    /** One choice's stream, writing to the shared {@code events}. */
    @FunctionalInterface
    private interface ChoiceStream {
        GenerationListener start(SseEventQueue events, int index, StreamEnd end);
    }

    /**
     * {@code choices} answers streamed as server-sent events, each chunk naming its choice; then the usage event
     * ({@code usageEvent}, or none when {@code null}) and {@code [DONE]}.
     */
    private ResponseEntity<ResponseBodyEmitter> stream(
            GenerationRequest request, int choices, Function<Usage, Object> usageEvent, ChoiceStream choiceStream) {
        SseEmitter emitter = new SseEmitter(timeout.toMillis());
        SseEventQueue events = new SseEventQueue(emitter, streamWriter);
        StreamEnd end = new StreamEnd(events, choices, usageEvent);
        List<GenerationListener> streams = new ArrayList<>();
        for (int i = 0; i < choices; i++) {
            streams.add(choiceStream.start(events, i, end));
        }
        generations.submitAll(siblings(request, choices), streams, events::attach);
        return AsyncJson.events(emitter);
    }

    /**
     * {@code n} answers to one request. A request's seed gives each choice its own, {@code seed + i}, so that the
     * choices differ and repeat; without one, each draws its own.
     */
    private static List<GenerationRequest> siblings(GenerationRequest request, int n) {
        List<GenerationRequest> siblings = new ArrayList<>(n);
        Long seed = request.sampling().seed();
        for (int i = 0; i < n; i++) {
            siblings.add(new GenerationRequest(
                    request.prompt(),
                    request.sampling().withSeed(seed == null ? null : seed + i),
                    request.stopping(),
                    request.router(),
                    request.topTokens(),
                    request.promptLogProbs(),
                    request.constraint()));
        }
        return siblings;
    }

    @GetMapping(path = "/models", produces = MediaType.APPLICATION_JSON_VALUE)
    ModelList models() {
        return new ModelList("list", List.of(card()));
    }

    @GetMapping(path = "/models/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    ModelCard model(@PathVariable String id) {
        translator.checkModel(Objects.requireNonNull(id));
        return card();
    }

    private ModelCard card() {
        return new ModelCard(
                model.name(), "model", ModelCard.STARTED, "tributary", model.maxTotalTokens(), model.expertNames());
    }

    private static boolean includeUsage(ChatCompletionRequest.StreamOptions options) {
        return options != null && Boolean.TRUE.equals(options.includeUsage());
    }
}
