package io.tributary.server.generate;

import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;
import io.tributary.routing.decode.GenerationRequest;
import io.tributary.routing.decode.StoppingCriteria;
import io.tributary.routing.router.Router;
import io.tributary.routing.router.RouterSpec;
import io.tributary.routing.router.Routers;
import io.tributary.routing.sampling.SamplingParams;
import io.tributary.server.config.TributaryProperties;
import io.tributary.server.mixture.PromptEncoder;
import io.tributary.server.mixture.ServedModel;
import org.springframework.stereotype.Component;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Turns a TGI-style HTTP request into a {@link GenerationRequest}, applying defaults and refusing, with TGI's
 * messages where TGI has one, everything that cannot be served. Runs on the HTTP thread so that a bad request
 * is answered before any stream starts.
 */
@Component
public class RequestTranslator {

    /** TGI's default {@code max_top_n_tokens}. */
    static final int MAX_TOP_N_TOKENS = 5;

    private final ServedModel model;
    private final TributaryProperties.Limits limits;
    private final ImageFetcher remoteImages;

    RequestTranslator(ServedModel model, TributaryProperties properties, ImageFetcher remoteImages) {
        this.remoteImages = remoteImages;
        this.model = model;
        this.limits = properties.limits();
    }

    /**
     * A TGI request: {@code inputs} with inline markdown images, and TGI's parameters.
     *
     * @param streaming whether it is for a stream, which cannot carry the prompt's log-probabilities (as in TGI)
     */
    GenerationRequest translate(GenerateRequest request, boolean streaming) {
        if (request == null) {
            throw new RequestValidationException("the request body is empty");
        }
        String inputs = request.inputs();
        if (inputs == null || inputs.isEmpty()) {
            throw new RequestValidationException("`inputs` cannot be empty");
        }
        GenerateParameters parameters = Objects.requireNonNullElse(request.parameters(), GenerateParameters.NONE);
        refuseUnsupported(parameters);
        int topTokens = topNTokens(parameters.topNTokens());
        PromptInputs prompt = parseInputs(inputs);
        checkInputLength("`inputs`", prompt.text().length());
        return translate(prompt, model.prompts().encode(prompt.text()), parameters, topTokens,
                promptLogProbs(parameters, prompt, streaming));
    }

    /** TGI's {@code decoder_input_details}: each prompt token's log-probability, in {@code details.prefill}. */
    private static boolean promptLogProbs(GenerateParameters parameters, PromptInputs prompt, boolean streaming) {
        if (!Boolean.TRUE.equals(parameters.decoderInputDetails())) {
            return false;
        }
        if (streaming) {
            throw new RequestValidationException("`decoder_input_details` == true is not supported when streaming "
                    + "tokens");
        }
        if (!Boolean.TRUE.equals(parameters.details())) {
            throw new RequestValidationException("`decoder_input_details` needs `details` == true: the prompt's "
                    + "tokens are returned in `details.prefill`");
        }
        if (!prompt.images().isEmpty()) {
            throw new RequestValidationException("`decoder_input_details` is not supported for prompts with images");
        }
        return true;
    }

    /** TGI's {@code /tokenize}: validated as a generation's inputs are, then tokenized. */
    List<PromptEncoder.Token> tokenize(GenerateRequest request) {
        if (request == null || request.inputs() == null || request.inputs().isEmpty()) {
            throw new RequestValidationException("`inputs` cannot be empty");
        }
        PromptInputs prompt = parseInputs(request.inputs());
        checkInputLength("`inputs`", prompt.text().length());
        return model.prompts().tokenize(prompt.text());
    }

    /**
     * The common path of every API: a prompt already split into text and images, and its token ids (encoded by the
     * caller: a prompt rendered by a chat template carries its own special tokens).
     */
    public GenerationRequest translate(PromptInputs prompt, int[] encoded, GenerateParameters parameters,
                                       int topTokens, boolean promptLogProbs) {
        SamplingParams sampling = sampling(parameters);
        int maxNewTokens = maxNewTokens(parameters);
        List<String> stop = stopSequences(parameters);
        for (int i = 0; i < prompt.images().size(); i++) {
            try {
                model.prompts().checkImage(prompt.images().get(i));
            } catch (IllegalArgumentException e) {
                throw new RequestValidationException("image " + (i + 1) + ": " + e.getMessage());
            }
        }
        int[] tokens = truncate(encoded, parameters.truncate());
        if (tokens.length < encoded.length && !prompt.images().isEmpty()) {
            throw new RequestValidationException("`truncate` cannot shorten a prompt with images: it would cut "
                    + "an image's place out of the text");
        }
        Prompt expertPrompt = new Prompt(tokens, prompt.images());
        int positions = positions(expertPrompt);
        if (positions + maxNewTokens > model.maxTotalTokens()) {
            String given = positions == tokens.length ? tokens.length + " `inputs` tokens"
                    : positions + " `inputs` positions (" + tokens.length + " tokens, the images expanded)";
            throw new RequestValidationException("`inputs` tokens + `max_new_tokens` must be <= "
                    + model.maxTotalTokens() + ". Given: " + given + " and " + maxNewTokens + " `max_new_tokens`");
        }
        return new GenerationRequest(expertPrompt, sampling,
                new StoppingCriteria(maxNewTokens, stop, false), router(parameters.routing()), topTokens,
                promptLogProbs);
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
        return PromptInputs.parse(inputs, model.prompts().imagePlaceholder().orElse(null), limits.maxImages(),
                remoteImages);
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
        } catch (IllegalArgumentException e) {
            throw new RequestValidationException("`inputs`: " + e.getMessage());
        }
    }

    /** The request's own router, or {@code null} for the mixture's. */
    private Router router(GenerateParameters.RoutingParameters routing) {
        if (routing == null) {
            return null;
        }
        if (routing.mode() == null) {
            throw new RequestValidationException("`routing.mode` is required; known modes: "
                    + String.join(", ", Routers.MODES));
        }
        try {
            return model.routers().create(new RouterSpec(routing.mode(), routing.weights(), routing.temperature(),
                    routing.topK()));
        } catch (IllegalArgumentException e) {
            throw new RequestValidationException("`routing`: " + e.getMessage());
        }
    }

    private SamplingParams sampling(GenerateParameters p) {
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
        return new SamplingParams(Boolean.TRUE.equals(p.doSample()),
                Objects.requireNonNullElse(p.temperature(), 1.0),
                Objects.requireNonNullElse(p.topK(), 0),
                Objects.requireNonNullElse(p.topP(), 1.0),
                Objects.requireNonNullElse(p.repetitionPenalty(), 1.0),
                p.seed(),
                Objects.requireNonNullElse(p.typicalP(), 1.0));
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

    private static int topNTokens(Integer topNTokens) {
        if (topNTokens == null) {
            return 0;
        }
        if (topNTokens < 0 || topNTokens > MAX_TOP_N_TOKENS) {
            throw new RequestValidationException("`top_n_tokens` must be >= 0 and <= " + MAX_TOP_N_TOKENS
                    + ". Given: " + topNTokens);
        }
        return topNTokens;
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

    private static void refuseUnsupported(GenerateParameters p) {
        refuseIf(p.bestOf() != null && p.bestOf() > 1, "best_of");
        refuseIf(p.frequencyPenalty() != null && p.frequencyPenalty() != 0.0, "frequency_penalty");
        refuseIf(Boolean.TRUE.equals(p.watermark()), "watermark");
        refuseIf(p.grammar() != null, "grammar");
    }

    private static void refuseIf(boolean condition, String parameter) {
        if (condition) {
            throw new RequestValidationException("`" + parameter + "` is not supported by this server");
        }
    }
}
