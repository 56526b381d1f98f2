package io.tributary.server.api.openai;

import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.GenerationListener;
import io.tributary.routing.decode.GenerationResult;
import io.tributary.server.serving.ExpertFailover;
import io.tributary.server.serving.LostExpert;
import io.tributary.server.serving.SseEventQueue;
import io.tributary.server.serving.StreamedExpertEvents;

import java.util.List;

/**
 * Streams one choice of a text completion as OpenAI does: one {@code text_completion} event per token (the first
 * also carrying the prompt when echoed), the last with the finish reason; then, once every choice has finished,
 * optionally a usage event and {@code data: [DONE]} ({@link StreamEnd}).
 */
final class CompletionStream implements GenerationListener {

    private final SseEventQueue events;
    private final OpenAiAnswers answers;
    private final StopTrimmer trimmer;
    private final boolean logprobs;
    private final int index;
    private final StreamEnd end;
    private final StreamedExpertEvents experts = new StreamedExpertEvents();
    private String echo;
    private int offset;
    private GeneratedToken last;

    CompletionStream(
            SseEventQueue events,
            OpenAiAnswers answers,
            List<String> stops,
            boolean logprobs,
            int index,
            StreamEnd end,
            String echo) {
        this.events = events;
        this.answers = answers;
        this.trimmer = new StopTrimmer(stops);
        this.logprobs = logprobs;
        this.index = index;
        this.end = end;
        this.echo = echo;
        this.offset = echo.length();
    }

    @Override
    public void onToken(GeneratedToken token) {
        experts.token();
        if (token.last()) {
            last = token;
            return;
        }
        send(trimmer.accept(OpenAiAnswers.text(token)), token, null, experts.drainLost(), experts.drainFailovers());
    }

    @Override
    public void onExpertLost(String expert, Throwable failure) {
        experts.lost(expert, failure);
    }

    @Override
    public void onExpertFailover(String expert, String detail) {
        experts.failover(expert, detail);
    }

    @Override
    public void onFinish(GenerationResult result) {
        send(
                trimmer.accept(OpenAiAnswers.text(last)) + trimmer.finish(),
                last,
                OpenAiAnswers.finishReason(result.finishReason()),
                OpenAiAnswers.lostExperts(result),
                OpenAiAnswers.failovers(result));
        end.finished(result, answers);
    }

    @Override
    public void onError(Throwable error) {
        end.failed(error);
    }

    private void send(
            String text,
            GeneratedToken token,
            String finishReason,
            List<LostExpert> lost,
            List<ExpertFailover> failovers) {
        Completion.Logprobs tokenLogprobs = logprobs ? OpenAiAnswers.completionLogprobs(List.of(token), offset) : null;
        offset += OpenAiAnswers.text(token).length();
        String withEcho = echo + text;
        echo = "";
        events.send(new Completion(
                answers.id(),
                "text_completion",
                answers.created(),
                answers.model(),
                List.of(new Completion.Choice(
                        index, withEcho, tokenLogprobs, finishReason, List.of(token.expertWeights()), lost, failovers)),
                null));
    }
}
