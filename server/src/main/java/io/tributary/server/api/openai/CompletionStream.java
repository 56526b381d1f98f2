package io.tributary.server.api.openai;

import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.GenerationListener;
import io.tributary.routing.decode.GenerationResult;
import io.tributary.server.error.StreamedError;
import io.tributary.server.serving.LostExpert;
import io.tributary.server.serving.SseEventQueue;
import io.tributary.server.serving.StreamedLosses;

import java.util.List;

/**
 * Streams a text completion as OpenAI does: one {@code text_completion} event per token (the first also carrying
 * the prompt when echoed), the last with the finish reason, optionally a usage event, then {@code data: [DONE]}.
 */
final class CompletionStream implements GenerationListener {

    private final SseEventQueue events;
    private final OpenAiAnswers answers;
    private final StopTrimmer trimmer;
    private final boolean logprobs;
    private final boolean includeUsage;
    private final StreamedLosses losses = new StreamedLosses();
    private String echo;
    private int offset;
    private GeneratedToken last;

    CompletionStream(
            SseEventQueue events,
            OpenAiAnswers answers,
            List<String> stops,
            boolean logprobs,
            boolean includeUsage,
            String echo) {
        this.events = events;
        this.answers = answers;
        this.trimmer = new StopTrimmer(stops);
        this.logprobs = logprobs;
        this.includeUsage = includeUsage;
        this.echo = echo;
        this.offset = echo.length();
    }

    @Override
    public void onToken(GeneratedToken token) {
        losses.token();
        if (token.last()) {
            last = token;
            return;
        }
        send(trimmer.accept(OpenAiAnswers.text(token)), token, null, losses.drain());
    }

    @Override
    public void onExpertLost(String expert, Throwable failure) {
        losses.lost(expert, failure);
    }

    @Override
    public void onFinish(GenerationResult result) {
        send(
                trimmer.accept(OpenAiAnswers.text(last)) + trimmer.finish(),
                last,
                OpenAiAnswers.finishReason(result.finishReason()),
                OpenAiAnswers.lostExperts(result));
        if (includeUsage) {
            events.send(new Completion(
                    answers.id(),
                    "text_completion",
                    answers.created(),
                    answers.model(),
                    List.of(),
                    answers.usage(result)));
        }
        events.sendText("[DONE]");
        events.complete();
    }

    @Override
    public void onError(Throwable error) {
        events.send(StreamedError.of(error).openAi());
        events.sendText("[DONE]");
        events.complete();
    }

    private void send(String text, GeneratedToken token, String finishReason, List<LostExpert> lost) {
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
                        0, withEcho, tokenLogprobs, finishReason, List.of(token.expertWeights()), lost)),
                null));
    }
}
