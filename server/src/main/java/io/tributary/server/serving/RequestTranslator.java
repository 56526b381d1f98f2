package io.tributary.server.serving;

import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.decode.StoppingCriteria;
import io.tributary.routing.refusal.ImageRefusedException;
import io.tributary.routing.refusal.RequestRefusedException;
import io.tributary.routing.refusal.RoutingRefusedException;
import io.tributary.routing.router.Router;
import io.tributary.routing.router.RouterSpec;
import io.tributary.routing.router.Routers;
import io.tributary.routing.sampling.Penalties;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.server.config.TributaryProperties;
import io.tributary.server.mixture.ServedModel;
import io.tributary.server.structured.ConstraintException;
import io.tributary.server.structured.FormatFields;
import io.tributary.server.structured.OutputFormat;
import io.tributary.server.structured.StructuredOutputs;
import org.springframework.stereotype.Component;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Turns a request of either dialect, once mapped onto {@link GenerateParameters}, into a {@link GenerationRequest},
 * applying defaults and refusing, with TGI's messages where TGI has one, everything that cannot be served. Runs on
 * the HTTP thread so that a bad request is answered before any stream starts.
 */
@Component
public class RequestTranslator {

    private final ServedModel model;
    private final TributaryProperties.Limits limits;
    private final ImageFetcher remoteImages;
    private final StructuredOutputs structured;

    public RequestTranslator(
            ServedModel model,
            TributaryProperties properties,
            ImageFetcher remoteImages,
            StructuredOutputs structured) {
        this.remoteImages = remoteImages;
        this.structured = structured;
        this.model = model;
        this.limits = properties.limits();
    }

    /**
     * The common path of every API: a prompt already split into text and images, and its token ids (encoded by the
     * caller: a prompt rendered by a chat template carries its own special tokens).
     */
    public GenerationRequest translate(
            PromptInputs prompt, int[] encoded, GenerateParameters parameters, int topTokens, boolean promptLogProbs) {
        return translate(prompt, encoded, parameters, SamplingExtras.of(parameters), topTokens, promptLogProbs);
    }

    /** As above, with the sampling fields TGI's parameters do not have. */
    public GenerationRequest translate(
            PromptInputs prompt,
            int[] encoded,
            GenerateParameters parameters,
            SamplingExtras extras,
            int topTokens,
            boolean promptLogProbs) {
        SamplingParams sampling = sampling(parameters, extras);
        int maxNewTokens = maxNewTokens(parameters);
        List<String> stop = stopSequences(parameters);
        StoppingCriteria stopping = stopping(maxNewTokens, stop, extras);
        for (int i = 0; i < prompt.images().size(); i++) {
            try {
                model.prompts().checkImage(prompt.images().get(i));
            } catch (ImageRefusedException e) {
                throw new RequestValidationException("image " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        int[] tokens = truncate(requireTokens(encoded, "the prompt"), parameters.truncate());
        if (tokens.length < encoded.length && !prompt.images().isEmpty()) {
            throw new RequestValidationException("`truncate` cannot shorten a prompt with images: it would cut "
                    + "an image's place out of the text");
        }
        Prompt expertPrompt = new Prompt(tokens, prompt.images());
        int positions = positions(expertPrompt);
        if (positions + maxNewTokens > model.maxTotalTokens()) {
            String given = positions == tokens.length
                    ? tokens.length + " `inputs` tokens"
                    : positions + " `inputs` positions (" + tokens.length + " tokens, the images expanded)";
            throw new RequestValidationException("`inputs` tokens + `max_new_tokens` must be <= "
                    + model.maxTotalTokens() + ". Given: " + given + " and " + maxNewTokens + " `max_new_tokens`");
        }
        GenerationRequest request = new GenerationRequest(
                expertPrompt, sampling, stopping, router(parameters.routing()), topTokens, promptLogProbs);
        return constrain(request, FormatFields.tgi(parameters.grammar()), "`grammar`");
    }

    /**
     * The request with its output held to {@code format} (compiled once per format and kept); {@code null}: as it
     * is. A format that cannot be compiled is refused, named by {@code field}.
     */
    public GenerationRequest constrain(GenerationRequest request, OutputFormat format, String field) {
        if (format == null) {
            return request;
        }
        try {
            return request.withConstraint(structured.compile(format));
        } catch (ConstraintException e) {
            throw new RequestValidationException(field + ": " + e.getMessage());
        }
    }

    /**
     * Refuses a prompt that encodes to no tokens (text a tokenizer drops, a chat template that renders nothing):
     * there is nothing to continue, and an empty {@link Prompt} would be our own bug.
     */
    public static int[] requireTokens(int[] encoded, String what) {
        if (encoded.length == 0) {
            throw new RequestValidationException(what + " encodes to no tokens: there is nothing to continue");
        }
        return encoded;
    }

    /** Refuses more text than {@code tributary.limits.max-input-chars}; images have their own limits. */
    public void checkInputLength(String what, int characters) {
        if (characters > limits.maxInputChars()) {
            throw new RequestValidationException(what + " has " + characters + " characters of text, which exceeds "
                    + TributaryProperties.Limits.MAX_INPUT_CHARS + " (" + limits.maxInputChars()
                    + "); inline images are not counted");
        }
    }

    /** Splits a prompt with inline markdown images (TGI's form) into text and images, within the image limit. */
    public PromptInputs parseInputs(String inputs) {
        return PromptInputs.parse(
                inputs, model.prompts().imagePlaceholder().orElse(null), limits.maxImages(), remoteImages);
    }

    /** Gets an image named by URL, within the server's rules for remote images. */
    public ImageInput fetchImage(String url, String label) {
        return remoteImages.fetch(url, label);
    }

    /** Refuses more images than {@code tributary.limits.max-images}. */
    public void checkImageCount(String where, long images) {
        if (images > limits.maxImages()) {
            throw new RequestValidationException(where + " may contain at most " + limits.maxImages()
                    + " images (tributary.limits.max-images). Given: " + images);
        }
    }

    /** The most positions a prompt of {@code positions} leaves for generated tokens, within the limits. */
    public int roomForNewTokens(int positions) {
        return Math.max(1, Math.min(limits.maxNewTokens(), model.maxTotalTokens() - positions));
    }

    /** What the prompt takes in the experts' context once its images become image tokens. */
    private int positions(Prompt prompt) {
        try {
            return model.promptPositions(prompt);
        } catch (RequestRefusedException e) {
            throw new RequestValidationException("`inputs`: " + e.getMessage(), e);
        }
    }

    /** The request's own router, or {@code null} for the mixture's. */
    private Router router(GenerateParameters.RoutingParameters routing) {
        if (routing == null) {
            return null;
        }
        if (routing.mode() == null) {
            throw new RequestValidationException(
                    "`routing.mode` is required; known modes: " + String.join(", ", Routers.MODES));
        }
        try {
            return model.routers()
                    .create(new RouterSpec(routing.mode(), routing.weights(), routing.temperature(), routing.topK()));
        } catch (RoutingRefusedException e) {
            throw new RequestValidationException("`routing`: " + e.getMessage(), e);
        }
    }

    private StoppingCriteria stopping(int maxNewTokens, List<String> stop, SamplingExtras extras) {
        if (extras.minTokens() < 0 || extras.minTokens() > maxNewTokens) {
            throw new RequestValidationException("`min_tokens` must be >= 0 and <= the most tokens asked for ("
                    + maxNewTokens + "). Given: " + extras.minTokens());
        }
        extras.stopTokenIds().forEach(token -> checkTokenId("stop_token_ids", token));
        return new StoppingCriteria(maxNewTokens, stop, extras.ignoreEos(), extras.minTokens(), extras.stopTokenIds());
    }

    private void checkTokenId(String field, int token) {
        int vocabulary = model.mixture().detokenizer().vocabularySize();
        if (token < 0 || token >= vocabulary) {
            throw new RequestValidationException(
                    "`" + field + "` names token " + token + ", outside the vocabulary of " + vocabulary);
        }
    }

    private Penalties penalties(SamplingExtras extras) {
        if (!(extras.presencePenalty() >= -2 && extras.presencePenalty() <= 2)) {
            throw new RequestValidationException(
                    "`presence_penalty` must be between -2 and 2. Given: " + extras.presencePenalty());
        }
        if (!(extras.frequencyPenalty() >= -2 && extras.frequencyPenalty() <= 2)) {
            throw new RequestValidationException(
                    "`frequency_penalty` must be between -2 and 2. Given: " + extras.frequencyPenalty());
        }
        extras.logitBias().forEach((token, bias) -> {
            checkTokenId("logit_bias", token);
            if (!(bias >= -100 && bias <= 100)) {
                throw new RequestValidationException(
                        "`logit_bias` values must be between -100 and 100. Given: " + bias + " for token " + token);
            }
        });
        return new Penalties(extras.presencePenalty(), extras.frequencyPenalty(), extras.logitBias());
    }

    private SamplingParams sampling(GenerateParameters p, SamplingExtras extras) {
        if (!(extras.minP() >= 0 && extras.minP() <= 1)) {
            throw new RequestValidationException("`min_p` must be between 0 and 1. Given: " + extras.minP());
        }
        if (p.temperature() != null && !(p.temperature() > 0)) {
            throw new RequestValidationException("`temperature` must be strictly positive");
        }
        if (p.topK() != null && p.topK() <= 0) {
            throw new RequestValidationException("`top_k` must be strictly positive");
        }
        if (p.topP() != null && !(p.topP() > 0 && p.topP() <= 1)) {
            throw new RequestValidationException("`top_p` must be > 0.0 and <= 1.0");
        }
        if (p.typicalP() != null && !(p.typicalP() > 0 && p.typicalP() <= 1)) {
            throw new RequestValidationException("`typical_p` must be > 0.0 and <= 1.0");
        }
        if (p.repetitionPenalty() != null && !(p.repetitionPenalty() > 0)) {
            throw new RequestValidationException("`repetition_penalty` must be strictly positive");
        }
        if (p.temperature() != null && !Double.isFinite(p.temperature())
                || p.repetitionPenalty() != null && !Double.isFinite(p.repetitionPenalty())) {
            throw new RequestValidationException("`temperature` and `repetition_penalty` must be finite");
        }
        return new SamplingParams(
                Boolean.TRUE.equals(p.doSample()),
                Objects.requireNonNullElse(p.temperature(), 1.0),
                Objects.requireNonNullElse(p.topK(), 0),
                Objects.requireNonNullElse(p.topP(), 1.0),
                Objects.requireNonNullElse(p.repetitionPenalty(), 1.0),
                p.seed(),
                Objects.requireNonNullElse(p.typicalP(), 1.0),
                extras.minP(),
                penalties(extras));
    }

    private int maxNewTokens(GenerateParameters p) {
        if (p.maxNewTokens() == null) {
            return Math.min(limits.defaultMaxNewTokens(), limits.maxNewTokens());
        }
        if (p.maxNewTokens() <= 0) {
            throw new RequestValidationException("`max_new_tokens` must be strictly positive");
        }
        if (p.maxNewTokens() > limits.maxNewTokens()) {
            throw new RequestValidationException("`max_new_tokens` must be <= " + limits.maxNewTokens()
                    + ". Given: " + p.maxNewTokens() + " (the limit is " + TributaryProperties.Limits.MAX_NEW_TOKENS
                    + ")");
        }
        return p.maxNewTokens();
    }

    private List<String> stopSequences(GenerateParameters p) {
        List<String> stop = p.stop() == null ? List.of() : p.stop();
        if (stop.size() > limits.maxStopSequences()) {
            throw new RequestValidationException("`stop` supports up to " + limits.maxStopSequences()
                    + " stop sequences. Given: " + stop.size() + " (the limit is "
                    + TributaryProperties.Limits.MAX_STOP_SEQUENCES + ")");
        }
        for (String sequence : stop) {
            if (sequence == null || sequence.isEmpty()) {
                throw new RequestValidationException("`stop` sequences cannot be empty");
            }
        }
        return stop;
    }

    private static int[] truncate(int[] tokens, Integer truncate) {
        if (truncate == null) {
            return tokens;
        }
        if (truncate <= 0) {
            throw new RequestValidationException("`truncate` must be strictly positive");
        }
        // Like TGI, keep the end of the prompt: it is what the continuation depends on most.
        return tokens.length <= truncate ? tokens : Arrays.copyOfRange(tokens, tokens.length - truncate, tokens.length);
    }
}
