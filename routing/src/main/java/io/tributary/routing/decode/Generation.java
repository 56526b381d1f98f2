package io.tributary.routing.decode;

import io.tributary.routing.Detokenizer;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.ExpertUnavailableException;
import io.tributary.routing.ImageEncoding;
import io.tributary.routing.constraint.OutputConstraint;
import io.tributary.routing.mixing.LogMixture;
import io.tributary.routing.mixing.Weights;
import io.tributary.routing.refusal.RequestRefusedException;
import io.tributary.routing.router.Router;
import io.tributary.routing.router.RoutingContext;
import io.tributary.routing.router.RoutingSession;
import io.tributary.routing.sampling.TokenSampler;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One request being decoded, as a resumable state machine stepped in three phases by a scheduler that batches many
 * generations: {@link #plan} adds this request's work to the step (the next token, or the next chunk of a prompt
 * still being prefilled, for each expert it needs), the experts run their batches, then {@link #finishStep} mixes,
 * samples and publishes a token once every needed expert has its distribution ready. Nothing here blocks or owns a
 * thread; {@link #step()} runs all three phases for this generation alone.
 *
 * <p>Expert sessions open lazily, the first time the router gives their expert a positive weight, and catch
 * up on the tokens generated so far; an expert the router never selects is never run. A preempted generation
 * ({@link #preempt}) reopens its sessions in the same way.
 */
public final class Generation {

    private final Mixture mixture;
    private final GenerationRequest request;
    private final GenerationListener listener;
    private final ExpertSession[] sessions;
    private final ImageEncoding[] reportedEncodings; // per session, the image encoding the listener heard of
    private final int[] reportedFailovers; // per session, how many of its failovers the listener heard of
    private final Router router;
    private RoutingSession routing; // started by the first plan, on the decoding thread: it may run models
    private boolean scoringPrompt; // every expert is prefilled and scored before the router gives weights
    private double[] weights; // for the next token; null until the router is asked
    private final TokenSampler sampler;
    private final OutputConstraint.State constraint; // null when any text will do
    private final Detokenizer.Stream detokenizer;
    private final int tokenizerVocabulary;
    private final List<GeneratedToken> tokens = new ArrayList<>();
    private final Transcript transcript;
    private volatile boolean cancelled;
    private boolean done;
    private long kvReservation = -1; // computed once: it may read image headers
    private long kvBytesPerPosition; // over every expert, computed with the reservation
    private int promptPositions; // the prompt's positions, images expanded (the most any expert makes of it)
    private int preemptions;
    private int promptFromCache; // prompt positions the experts took from their prefix caches, at the first token
    private final long createdNanos = System.nanoTime();
    private float[] promptLogProbs; // under the mixture of the first token, when the request asked
    private int chunkPositions; // prompt positions planned in this step, reported when it finishes
    private long chunkPlannedNanos;
    private final LostExperts lost;
    private final List<LostExpert> lostExperts = new ArrayList<>();
    private final List<ExpertFailover> failovers = new ArrayList<>();

    Generation(Mixture mixture, GenerationRequest request, GenerationListener listener) {
        this.mixture = mixture;
        this.request = request;
        this.listener = listener;
        this.sessions = new ExpertSession[mixture.experts().size()];
        this.reportedEncodings = new ImageEncoding[sessions.length];
        this.reportedFailovers = new int[sessions.length];
        this.lost = new LostExperts(sessions.length);
        this.router = request.router() != null ? request.router() : mixture.router();
        this.sampler = new TokenSampler(
                request.sampling(),
                request.prompt().tokenIds(),
                ThreadLocalRandom.current().nextLong());
        this.constraint = request.constraint() != null ? request.constraint().start() : null;
        this.detokenizer = mixture.detokenizer().newStream();
        this.tokenizerVocabulary = mixture.detokenizer().vocabularySize();
        this.transcript = new Transcript(request.stopping(), mixture.eosTokenIds());
    }

    /** When the request arrived ({@link System#nanoTime()}), to measure how long it waited. */
    public long createdNanos() {
        return createdNanos;
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

    /** Whether the generation is over (finished, failed or cancelled) and its resources are freed. */
    public boolean isDone() {
        return done;
    }

    /**
     * The most cache this generation may hold, in bytes over all experts: its prompt (images expanded) and every
     * token it may generate, at each expert's {@link Expert#kvBytesPerPosition()}. A scheduler admits by it.
     */
    public synchronized long kvReservationBytes() {
        if (kvReservation < 0) {
            kvReservation = computeKvReservation();
        }
        return kvReservation;
    }

    /**
     * The cache this generation holds over all experts once its next token has run: its prompt (images expanded) and
     * every token so far, plus one, at each expert's {@link Expert#kvBytesPerPosition()}; at most its reservation. A
     * scheduler admits by it, and preempts when the running generations' sum outgrows its budget.
     */
    public synchronized long kvBytesAfterNextToken() {
        long reservation = kvReservationBytes();
        return Math.min(reservation, kvBytesPerPosition * (promptPositions + tokens.size() + 1L));
    }

    private long computeKvReservation() {
        long bytesPerPosition = 0;
        int promptPositions = request.prompt().length();
        int maxPositions = Integer.MAX_VALUE;
        for (Expert expert : mixture.experts()) {
            bytesPerPosition += expert.kvBytesPerPosition();
            maxPositions = Math.min(maxPositions, expert.maxSequenceLength());
            try {
                int positions = listener.inContext(() -> expert.promptPositions(request.prompt()));
                promptPositions = Math.max(promptPositions, positions);
            } catch (RequestRefusedException unreadable) {
                // The expert refuses the prompt when the generation opens it; that failure is the one reported.
            }
        }
        long positions = Math.min(
                maxPositions, (long) promptPositions + request.stopping().maxNewTokens());
        this.kvBytesPerPosition = bytesPerPosition;
        this.promptPositions = promptPositions;
        return bytesPerPosition * positions;
    }

    /**
     * Frees every expert session, so that older generations get their KV cache (a scheduler preempts the youngest
     * when the running ones outgrow its budget, as vLLM does, by recomputation). The generation goes on where it
     * was: its next plan reopens the sessions on the prompt and every token so far, one prefill, cheaper where the
     * experts' prefix caches still hold it. Its tokens and its router's state stay.
     */
    void preempt() {
        release();
        preemptions++;
    }

    /** How many times a scheduler preempted this generation. */
    public int preemptions() {
        return preemptions;
    }

    /** Tokens generated so far. */
    public int generatedTokens() {
        return tokens.size();
    }

    /**
     * Decodes one token alone (no other generation in the batch, no token budget) and publishes it.
     *
     * @return {@code true} once the generation is over (finished, failed or cancelled): its resources are then
     *         freed and the listener has had its last call
     */
    public boolean step() {
        StepPlanner planner = new StepPlanner(mixture.experts(), Integer.MAX_VALUE);
        plan(planner);
        for (DecodeStep.Pass pass : planner.build().passes()) {
            if (done) {
                break;
            }
            try {
                pass.expert().forward(pass.batch());
            } catch (RuntimeException e) {
                expertFailed(pass.expert(), e);
            }
        }
        return finishStep();
    }

    /**
     * Phase 1: adds what this generation needs run in this step to {@code planner}: for each expert the next token
     * needs, the session's pending positions (the next token, a catch-up, or a chunk of the prompt), within the
     * step's budget. Opens sessions as the router first selects their experts. A failure here (an image that cannot
     * be read, say) ends only this generation.
     */
    void plan(StepPlanner planner) {
        if (done) {
            return;
        }
        if (cancelled) {
            fail(new CancellationException("generation cancelled"));
            return;
        }
        try {
            if (routing == null) {
                listener.onStarted();
                routing = router.start(new RoutingContext(request.prompt(), sessions.length));
                scoringPrompt = routing.needsPromptLikelihood();
            }
            if (!scoringPrompt && weights == null) {
                weights = lost.renormalize(Weights.normalize(routing.weights()));
            }
            for (int k = 0; k < sessions.length && !done; k++) {
                if (!lost.isLost(k) && (scoringPrompt || weights[k] > 0)) {
                    ExpertSession session;
                    try {
                        session = session(k);
                    } catch (ExpertUnavailableException e) {
                        lose(k, e);
                        continue;
                    }
                    int pending = session.pendingPositions();
                    if (pending > 0) {
                        // Prompt log-probabilities are those of the experts that choose the first token.
                        boolean score = scoringPrompt || request.promptLogProbs() && tokens.isEmpty();
                        int granted = planner.schedule(this, k, session, pending, score);
                        if (tokens.isEmpty() && granted > 0) {
                            if (chunkPositions == 0) {
                                chunkPlannedNanos = System.nanoTime();
                            }
                            chunkPositions = Math.max(chunkPositions, granted);
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    /**
     * Phase 3, after the experts ran the step: once every expert the next token needs has its distribution, mixes
     * them, samples, publishes the token and feeds it to every open session. A generation still prefilling
     * publishes nothing.
     *
     * @return {@code true} once the generation is over, as for {@link #step()}
     */
    boolean finishStep() {
        if (done) {
            return true;
        }
        if (cancelled) {
            return fail(new CancellationException("generation cancelled"));
        }
        try {
            reportFailovers();
            if (chunkPositions > 0) {
                reportImageEncodings();
                listener.onPromptChunk(chunkPositions, chunkPlannedNanos, System.nanoTime());
                chunkPositions = 0;
            }
            return ready() && decodeOneToken();
        } catch (RuntimeException e) {
            if (done) {
                throw e; // the listener failed in onFinish: it has had its last call already
            }
            return fail(e);
        }
    }

    /** Tells the listener of sessions that moved to another replica of their expert in the last step. */
    private void reportFailovers() {
        for (int k = 0; k < sessions.length; k++) {
            if (sessions[k] != null) {
                List<String> moves = sessions[k].failovers();
                for (int i = reportedFailovers[k]; i < moves.size(); i++) {
                    String expert = mixture.experts().get(k).name();
                    failovers.add(new ExpertFailover(expert, tokens.size(), moves.get(i)));
                    listener.onExpertFailover(expert, moves.get(i));
                }
                reportedFailovers[k] = moves.size();
            }
        }
    }

    /** Tells the listener of image encodings the last step's passes did (a reopened session encodes again). */
    private void reportImageEncodings() {
        for (int k = 0; k < sessions.length; k++) {
            ImageEncoding encoding = sessions[k] == null ? null : sessions[k].imageEncoding();
            if (encoding != null && encoding != reportedEncodings[k]) {
                reportedEncodings[k] = encoding;
                listener.onImagesEncoded(mixture.experts().get(k).name(), encoding);
            }
        }
    }

    /**
     * A batched pass of {@code expert} this generation was part of failed: an expert that became unavailable is
     * dropped for this generation (see {@link LostExperts}); any other failure fails the generation.
     */
    void expertFailed(Expert expert, Throwable error) {
        int k = mixture.experts().indexOf(expert);
        if (done) {
            return;
        }
        if (k >= 0 && error instanceof ExpertUnavailableException unavailable) {
            lose(k, unavailable);
        } else {
            fail(error);
        }
    }

    /** Drops expert {@code k}: frees its session, renormalises the weights, tells the listener. */
    private void lose(int k, ExpertUnavailableException failure) {
        if (sessions[k] != null) {
            try {
                sessions[k].close();
            } catch (RuntimeException ignored) {
                // The expert is gone; its side frees what it held when its lease runs out.
            }
            sessions[k] = null;
        }
        try {
            lost.lose(k, failure);
        } catch (AllExpertsLostException allLost) {
            listener.onExpertLost(mixture.experts().get(k).name(), failure);
            fail(allLost);
            return;
        }
        if (weights != null) {
            weights = lost.renormalize(weights);
        }
        lostExperts.add(new LostExpert(mixture.experts().get(k).name(), tokens.size(), failure.getMessage()));
        listener.onExpertLost(mixture.experts().get(k).name(), failure);
    }

    /**
     * Whether the next token can be produced now: the prompt is scored if the router asked for it, and every
     * expert with a positive weight has no positions left to run. Moves from scoring to routing on the way.
     */
    private boolean ready() {
        if (routing == null) {
            return false;
        }
        if (scoringPrompt) {
            for (int k = 0; k < sessions.length; k++) {
                if (!lost.isLost(k) && (sessions[k] == null || sessions[k].pendingPositions() > 0)) {
                    return false;
                }
            }
            double[] likelihoods = new double[sessions.length];
            for (int k = 0; k < sessions.length; k++) {
                // A lost expert explains nothing: a posterior router rules it out.
                likelihoods[k] = lost.isLost(k) ? Double.NEGATIVE_INFINITY : sessions[k].promptLogLikelihood();
            }
            routing.observePrompt(likelihoods);
            scoringPrompt = false;
        }
        if (weights == null) {
            weights = lost.renormalize(Weights.normalize(routing.weights()));
        }
        for (int k = 0; k < sessions.length; k++) {
            if (weights[k] > 0 && (sessions[k] == null || sessions[k].pendingPositions() > 0)) {
                return false; // opened or caught up by the next plan
            }
        }
        return true;
    }

    private boolean decodeOneToken() {
        double[] weights = this.weights;
        this.weights = null;
        float[][] expertLogProbs = new float[sessions.length][];
        for (int k = 0; k < sessions.length; k++) {
            if (weights[k] > 0) {
                expertLogProbs[k] = LogMixture.restrict(sessions[k].nextLogProbs(), tokenizerVocabulary);
            }
        }
        if (tokens.isEmpty()) {
            promptFromCache = cachedPromptPositions();
            if (request.promptLogProbs()) {
                promptLogProbs = mixPromptLogProbs(weights);
            }
        }
        float[] mixed = LogMixture.mix(weights, expertLogProbs);
        float[] choosable = withoutSuppressed(mixed);
        int token = sampler.sample(constraint != null ? constraint.mask(choosable) : choosable);
        routing.observe(token, logProbsOf(token, expertLogProbs, lost));

        boolean special = mixture.detokenizer().isSpecial(token);
        String piece = special ? "" : detokenizer.append(token);
        FinishReason finish = transcript.finishReason(token, piece);
        if (constraint != null) {
            constraint.advance(token);
            if (finish == null && constraint.complete()) {
                finish = FinishReason.EOS_TOKEN; // only end of sequence could follow: spare the step that picks it
            }
        }
        if (finish != null) {
            piece += detokenizer.flush();
        }
        transcript.append(token, piece);
        String tokenText = special ? mixture.detokenizer().specialTokenText(token) + piece : piece;
        List<TopToken> topTokens =
                request.topTokens() == 0 ? List.of() : TopTokens.of(mixed, request.topTokens(), mixture.detokenizer());
        GeneratedToken generated =
                new GeneratedToken(tokens.size(), token, tokenText, mixed[token], special, weights, finish, topTokens);
        tokens.add(generated);
        listener.onToken(generated);

        if (finish != null) {
            release();
            done = true;
            listener.onFinish(new GenerationResult(
                    transcript.text(),
                    finish,
                    request.prompt().length(),
                    tokens,
                    request.sampling().sampling() ? sampler.seed() : null,
                    promptLogProbs,
                    lostExperts,
                    promptFromCache,
                    failovers));
            return true;
        }
        for (ExpertSession session : sessions) {
            if (session != null) {
                session.append(token);
            }
        }
        return false;
    }

    /** The distribution to choose from: without the tokens {@code min_tokens} rules out yet. */
    private float[] withoutSuppressed(float[] mixed) {
        java.util.Set<Integer> suppressed = transcript.suppressedTokens();
        if (suppressed.isEmpty()) {
            return mixed;
        }
        float[] allowed = mixed.clone();
        for (int token : suppressed) {
            if (token >= 0 && token < allowed.length) {
                allowed[token] = Float.NEGATIVE_INFINITY;
            }
        }
        return allowed;
    }

    /**
     * Each prompt position's log-probability under the mixture {@code weights} make, log Σ_k w_k p_k(x_t | x_<t):
     * the same mixing as a next-token distribution's, position by position ({@code NaN}, no prediction, stays so).
     */
    private float[] mixPromptLogProbs(double[] weights) {
        float[][] perExpert = new float[sessions.length][];
        for (int k = 0; k < sessions.length; k++) {
            if (weights[k] > 0) {
                perExpert[k] = sessions[k].promptTokenLogProbs();
            }
        }
        return LogMixture.mix(weights, perExpert);
    }

    private ExpertSession session(int k) {
        if (sessions[k] == null) {
            Expert expert = mixture.experts().get(k);
            sessions[k] = listener.inContext(() -> expert.open(transcript.after(request.prompt())));
            reportedFailovers[k] = 0;
        }
        return sessions[k];
    }

    /** Each expert's log-probability of the token: NaN when it was not run, -∞ once it is lost. */
    private static double[] logProbsOf(int token, float[][] expertLogProbs, LostExperts lost) {
        double[] result = new double[expertLogProbs.length];
        for (int k = 0; k < result.length; k++) {
            result[k] = expertLogProbs[k] != null
                    ? expertLogProbs[k][token]
                    : lost.isLost(k) ? Double.NEGATIVE_INFINITY : Double.NaN;
        }
        return result;
    }

    private boolean fail(Throwable error) {
        release();
        done = true;
        listener.onError(error);
        return true;
    }

    /** The prompt positions every open session took from its expert's prefix cache: the least of them. */
    private int cachedPromptPositions() {
        int least = Integer.MAX_VALUE;
        for (ExpertSession session : sessions) {
            if (session != null) {
                least = Math.min(least, session.cachedPromptPositions());
            }
        }
        return least == Integer.MAX_VALUE ? 0 : least;
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
