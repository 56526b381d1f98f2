package io.tributary.server.api.tgi;

import io.tributary.routing.Detokenizer;
import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.decode.GenerationResult;
import io.tributary.server.config.TributaryProperties;
import io.tributary.server.mixture.PromptEncoder;
import io.tributary.server.mixture.ServedModel;
import io.tributary.server.serving.AsyncJson;
import io.tributary.server.serving.GenerateParameters;
import io.tributary.server.serving.GenerationService;
import io.tributary.server.serving.RequestValidationException;
import io.tributary.server.serving.SseEventQueue;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Text-generation-inference's generate API: {@code POST /generate} answers once the generation is over,
 * {@code POST /generate_stream} streams each token as it is chosen, {@code POST /} is either, and
 * {@code POST /tokenize} shows how a prompt is read. Generations free the HTTP thread at once.
 */
@RestController
class GenerateController {

    private final TgiRequests translator;
    private final GenerationService generations;
    private final Detokenizer detokenizer;
    private final Executor streamWriter;
    private final Duration timeout;

    GenerateController(
            TgiRequests translator,
            GenerationService generations,
            ServedModel model,
            @Qualifier("sseWriter") Executor streamWriter,
            TributaryProperties properties) {
        this.translator = translator;
        this.generations = generations;
        this.detokenizer = model.mixture().detokenizer();
        this.streamWriter = streamWriter;
        this.timeout = properties.limits().requestTimeout();
    }

    @PostMapping(
            path = "/generate",
            consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    CompletableFuture<GenerateResponse> generate(@RequestBody(required = false) GenerateRequest body) {
        GenerationRequest request = translator.translate(body, false);
        GenerateParameters parameters = parametersOf(body);
        String prefix = Boolean.TRUE.equals(parameters.returnFullText()) ? body.inputs() : "";
        boolean details = Boolean.TRUE.equals(parameters.details());
        int bestOf = TgiRequests.bestOf(parameters, false);
        if (bestOf > 1) {
            // TGI's best_of: several sampled answers, the one with the highest log-probability in total returned.
            return generations
                    .generateAll(java.util.Collections.nCopies(bestOf, request), timeout)
                    .thenApply(answers -> {
                        GenerationResult best = answers.stream()
                                .max(java.util.Comparator.comparingDouble(GenerateController::logProbability))
                                .orElseThrow();
                        List<GenerationResult> others = answers.stream()
                                .filter(answer -> answer != best)
                                .toList();
                        return new GenerateResponse(
                                prefix + best.generatedText(),
                                details ? Tokens.details(best, others, request, detokenizer) : null);
                    });
        }
        return generations
                .generate(request, timeout)
                .thenApply(done -> new GenerateResponse(
                        prefix + done.generatedText(), details ? Tokens.details(done, request, detokenizer) : null));
    }

    /** An answer's log-probability under the mixtures that chose its tokens: the sum over its tokens. */
    private static double logProbability(GenerationResult answer) {
        return answer.tokens().stream().mapToDouble(GeneratedToken::logProb).sum();
    }

    @PostMapping(
            path = "/generate_stream",
            consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    SseEmitter generateStream(@RequestBody(required = false) GenerateRequest body) {
        GenerationRequest request = translator.translate(body, true);
        GenerateParameters parameters = parametersOf(body);
        String prefix = Boolean.TRUE.equals(parameters.returnFullText()) ? body.inputs() : "";

        SseEmitter emitter = new SseEmitter(timeout.toMillis());
        SseTokenStream stream = new SseTokenStream(
                new SseEventQueue(emitter, streamWriter), prefix, Boolean.TRUE.equals(parameters.details()));
        stream.attach(generations.submit(request, stream));
        return emitter;
    }

    /**
     * TGI's compatibility route: {@code /generate} or, with {@code "stream": true}, {@code /generate_stream}. As in
     * TGI, the whole answer comes as a one-element list.
     */
    @PostMapping(path = "/", consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<ResponseBodyEmitter> compatGenerate(@RequestBody(required = false) CompatGenerateRequest body) {
        if (body == null) {
            throw new RequestValidationException("the request body is empty");
        }
        GenerateRequest request = new GenerateRequest(body.inputs(), body.parameters());
        if (Boolean.TRUE.equals(body.stream())) {
            return AsyncJson.events(generateStream(request));
        }
        return AsyncJson.emitter(generate(request), List::of, timeout);
    }

    /** TGI's {@code /tokenize}: the prompt's tokens with the characters each covers; images stay placeholders. */
    @PostMapping(
            path = "/tokenize",
            consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    List<PromptEncoder.Token> tokenize(@RequestBody(required = false) GenerateRequest body) {
        return translator.tokenize(body);
    }

    private static GenerateParameters parametersOf(GenerateRequest body) {
        return Objects.requireNonNullElse(body.parameters(), GenerateParameters.NONE);
    }
}
