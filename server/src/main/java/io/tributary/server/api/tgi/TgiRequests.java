package io.tributary.server.api.tgi;

import io.tributary.routing.decode.GenerationRequest;
import io.tributary.server.mixture.PromptEncoder;
import io.tributary.server.mixture.ServedModel;
import io.tributary.server.serving.GenerateParameters;
import io.tributary.server.serving.PromptInputs;
import io.tributary.server.serving.RequestTranslator;
import io.tributary.server.serving.RequestValidationException;
import org.springframework.stereotype.Component;

import java.util.List;
import java.util.Objects;

/** TGI's request bodies onto the serving core: what only TGI's {@code /generate} and {@code /tokenize} check. */
@Component
class TgiRequests {

    /** TGI's default {@code max_top_n_tokens}. */
    static final int MAX_TOP_N_TOKENS = 5;

    private final ServedModel model;
    private final RequestTranslator translator;

    TgiRequests(ServedModel model, RequestTranslator translator) {
        this.model = model;
        this.translator = translator;
    }

    /**
     * A TGI request: {@code inputs} with inline markdown images, and TGI's parameters.
     *
     * @param streaming whether it is for a stream, which cannot carry the prompt's log-probabilities (as in TGI)
     */
    /** TGI's default {@code max_best_of}. */
    static final int MAX_BEST_OF = 2;

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
        bestOf(parameters, streaming);
        int topTokens = topNTokens(parameters.topNTokens());
        PromptInputs prompt = translator.parseInputs(inputs);
        translator.checkInputLength("`inputs`", prompt.text().length());
        return translator.translate(
                prompt,
                model.prompts().encode(prompt.text()),
                parameters,
                topTokens,
                promptLogProbs(parameters, prompt, streaming));
    }

    /**
     * TGI's {@code best_of}: how many sampled answers to choose the likeliest from, with TGI's rules (sampling, no
     * seed, not streamed, at most {@link #MAX_BEST_OF}).
     */
    static int bestOf(GenerateParameters p, boolean streaming) {
        int bestOf = p.bestOf() == null ? 1 : p.bestOf();
        if (bestOf == 1) {
            return 1;
        }
        if (bestOf < 1 || bestOf > MAX_BEST_OF) {
            throw new RequestValidationException(
                    "`best_of` must be > 0 and <= " + MAX_BEST_OF + ". Given: " + p.bestOf());
        }
        boolean sampling = Boolean.TRUE.equals(p.doSample())
                || p.temperature() != null && p.temperature() != 1.0
                || p.topK() != null
                || p.topP() != null && p.topP() < 1.0
                || p.typicalP() != null && p.typicalP() < 1.0;
        if (!sampling) {
            throw new RequestValidationException("you must use sampling when `best_of` is > 1");
        }
        if (p.seed() != null) {
            throw new RequestValidationException("`seed` must not be set when `best_of` > 1");
        }
        if (streaming) {
            throw new RequestValidationException("`best_of` != 1 is not allowed for this endpoint");
        }
        return bestOf;
    }

    /** TGI's {@code decoder_input_details}: each prompt token's log-probability, in {@code details.prefill}. */
    private static boolean promptLogProbs(GenerateParameters parameters, PromptInputs prompt, boolean streaming) {
        if (!Boolean.TRUE.equals(parameters.decoderInputDetails())) {
            return false;
        }
        if (streaming) {
            throw new RequestValidationException(
                    "`decoder_input_details` == true is not supported when streaming " + "tokens");
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
        PromptInputs prompt = translator.parseInputs(request.inputs());
        translator.checkInputLength("`inputs`", prompt.text().length());
        return model.prompts().tokenize(prompt.text());
    }

    private static int topNTokens(Integer topNTokens) {
        if (topNTokens == null) {
            return 0;
        }
        if (topNTokens < 0 || topNTokens > MAX_TOP_N_TOKENS) {
            throw new RequestValidationException(
                    "`top_n_tokens` must be >= 0 and <= " + MAX_TOP_N_TOKENS + ". Given: " + topNTokens);
        }
        return topNTokens;
    }

    private static void refuseUnsupported(GenerateParameters p) {
        refuseIf(Boolean.TRUE.equals(p.watermark()), "watermark");
    }

    private static void refuseIf(boolean condition, String parameter) {
        if (condition) {
            throw new RequestValidationException("`" + parameter + "` is not supported by this server");
        }
    }
}
