package io.tributary.routing.decode;

import io.tributary.routing.Detokenizer;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.Prompt;
import io.tributary.routing.mixing.LogMixture;
import io.tributary.routing.mixing.Weights;
import io.tributary.routing.router.Router;
import io.tributary.routing.router.RoutingContext;
import io.tributary.routing.router.RoutingSession;
import io.tributary.routing.sampling.TokenSampler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One request being decoded, as a resumable state machine: each {@link #step()} produces exactly one token.
 * A scheduler interleaves the steps of many generations; nothing here blocks or owns a thread.
 *
 * <p>Expert sessions open lazily, the first time the router gives their expert a positive weight, and catch
 * up on the tokens generated so far; an expert the router never selects is never run.
 */
public final class Generation {

    private final Mixture mixture;
    private final GenerationRequest request;
    private final GenerationListener listener;
    private final ExpertSession[] sessions;
    private final Router router;
    private RoutingSession routing; // started by the first step, on the decoding thread: it may run models
    private final TokenSampler sampler;
    private final Detokenizer.Stream detokenizer;
    private final int tokenizerVocabulary;
    private final StringBuilder generatedText = new StringBuilder();
    private final List<GeneratedToken> tokens = new ArrayList<>();
    private int[] generatedIds = new int[16];
    private volatile boolean cancelled;
    private boolean done;

    Generation(Mixture mixture, GenerationRequest request, GenerationListener listener) {
        this.mixture = mixture;
        this.request = request;
        this.listener = listener;
        this.sessions = new ExpertSession[mixture.experts().size()];
        this.router = request.router() != null ? request.router() : mixture.router();
        this.sampler = new TokenSampler(request.sampling(), request.prompt().tokenIds(),
                ThreadLocalRandom.current().nextLong());
        this.detokenizer = mixture.detokenizer().newStream();
        this.tokenizerVocabulary = mixture.detokenizer().vocabularySize();
    }

    /** Asks the generation to stop; it frees its sessions and reports a {@link CancellationException}. */
    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    public GenerationRequest request() {
        return request;
    }

    /**
     * Decodes one token and publishes it.
     *
     * @return {@code true} once the generation is over (finished, failed or cancelled): its resources are then
     *         freed and the listener has had its last call
     */
    public boolean step() {
        if (done) {
            return true;
        }
        if (cancelled) {
            return fail(new CancellationException("generation cancelled"));
        }
        try {
            return decodeOneToken();
        } catch (RuntimeException e) {
            if (done) {
                throw e; // the listener failed in onFinish: it has had its last call already
            }
            return fail(e);
        }
    }

    private boolean decodeOneToken() {
        if (routing == null) {
            routing = startRouting();
        }
        double[] weights = Weights.normalize(routing.weights());
        float[][] expertLogProbs = new float[sessions.length][];
        for (int k = 0; k < sessions.length; k++) {
            if (weights[k] > 0) {
                expertLogProbs[k] = LogMixture.restrict(session(k).nextLogProbs(), tokenizerVocabulary);
            }
        }
        float[] mixed = LogMixture.mix(weights, expertLogProbs);
        int token = sampler.sample(mixed);
        routing.observe(token, logProbsOf(token, expertLogProbs));
        remember(token);

        boolean special = mixture.detokenizer().isSpecial(token);
        String piece = special ? "" : detokenizer.append(token);
        FinishReason finish = finishReason(token, piece);
        if (finish != null) {
            piece += detokenizer.flush();
        }
        generatedText.append(piece);
        String tokenText = special ? mixture.detokenizer().specialTokenText(token) + piece : piece;
        GeneratedToken generated = new GeneratedToken(tokens.size(), token, tokenText, mixed[token], special,
                weights, finish);
        tokens.add(generated);
        listener.onToken(generated);

        if (finish != null) {
            release();
            done = true;
            listener.onFinish(new GenerationResult(generatedText.toString(), finish,
                    request.prompt().length(), tokens, request.sampling().sampling() ? sampler.seed() : null));
            return true;
        }
        for (ExpertSession session : sessions) {
            if (session != null) {
                session.append(token);
            }
        }
        return false;
    }

    /** Starts the router; a router that weighs experts by their likelihood of the prompt gets it first. */
    private RoutingSession startRouting() {
        RoutingSession started = router.start(new RoutingContext(request.prompt(), sessions.length));
        if (started.needsPromptLikelihood()) {
            double[] likelihoods = new double[sessions.length];
            for (int k = 0; k < sessions.length; k++) {
                likelihoods[k] = session(k).promptLogLikelihood();
            }
            started.observePrompt(likelihoods);
        }
        return started;
    }

    private FinishReason finishReason(int token, String piece) {
        if (!request.stopping().ignoreEos() && mixture.eosTokenIds().contains(token)) {
            return FinishReason.EOS_TOKEN;
        }
        if (endsWithStopSequence(piece)) {
            return FinishReason.STOP_SEQUENCE;
        }
        if (tokens.size() + 1 >= request.stopping().maxNewTokens()) {
            return FinishReason.LENGTH;
        }
        return null;
    }

    /** Whether a stop sequence appears in the text once {@code piece} is added (it may span tokens). */
    private boolean endsWithStopSequence(String piece) {
        if (piece.isEmpty()) {
            return false;
        }
        String text = generatedText + piece;
        for (String stop : request.stopping().stopSequences()) {
            int from = Math.max(0, generatedText.length() - stop.length() + 1);
            if (text.indexOf(stop, from) >= 0) {
                return true;
            }
        }
        return false;
    }

    private ExpertSession session(int k) {
        if (sessions[k] == null) {
            Expert expert = mixture.experts().get(k);
            sessions[k] = expert.open(promptSoFar());
        }
        return sessions[k];
    }

    /** The prompt followed by every token generated so far, for an expert joining mid-generation. */
    private Prompt promptSoFar() {
        int[] prompt = request.prompt().tokenIds();
        if (tokens.isEmpty()) {
            return request.prompt();
        }
        int[] all = Arrays.copyOf(prompt, prompt.length + tokens.size());
        System.arraycopy(generatedIds, 0, all, prompt.length, tokens.size());
        return new Prompt(all, request.prompt().images());
    }

    private void remember(int token) {
        if (tokens.size() == generatedIds.length) {
            generatedIds = Arrays.copyOf(generatedIds, generatedIds.length * 2);
        }
        generatedIds[tokens.size()] = token;
    }

    private static double[] logProbsOf(int token, float[][] expertLogProbs) {
        double[] result = new double[expertLogProbs.length];
        for (int k = 0; k < result.length; k++) {
            result[k] = expertLogProbs[k] == null ? Double.NaN : expertLogProbs[k][token];
        }
        return result;
    }

    private boolean fail(Throwable error) {
        release();
        done = true;
        listener.onError(error);
        return true;
    }

    private void release() {
        for (int k = 0; k < sessions.length; k++) {
            if (sessions[k] != null) {
                sessions[k].close();
                sessions[k] = null;
            }
        }
    }
}
