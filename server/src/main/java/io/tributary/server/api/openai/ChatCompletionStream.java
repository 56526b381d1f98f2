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
 * Streams a chat completion as OpenAI does: a first chunk with the assistant's role, one chunk per token, a last
 * chunk with the finish reason, optionally a usage chunk, then {@code data: [DONE]}. A failure mid-stream becomes
 * an {@code {"error": {...}}} event before {@code [DONE]}.
 */
final class ChatCompletionStream implements GenerationListener {

    private final SseEventQueue events;
    private final OpenAiAnswers answers;
    private final StopTrimmer trimmer;
    private final boolean logprobs;
    private final boolean includeUsage;
    private final StreamedLosses losses = new StreamedLosses();
    private GeneratedToken last;

    ChatCompletionStream(
            SseEventQueue events, OpenAiAnswers answers, List<String> stops, boolean logprobs, boolean includeUsage) {
        this.events = events;
        this.answers = answers;
        this.trimmer = new StopTrimmer(stops);
        this.logprobs = logprobs;
        this.includeUsage = includeUsage;
        events.send(chunk(new ChatCompletionChunk.Delta("assistant", ""), null, null, List.of(), List.of()));
    }

    @Override
    public void onToken(GeneratedToken token) {
        losses.token();
        if (token.last()) {
            last = token; // sent by onFinish with the finish reason
            return;
        }
        events.send(chunk(
                new ChatCompletionChunk.Delta(null, trimmer.accept(OpenAiAnswers.text(token))),
                logprobs ? ChatLogprobs.of(List.of(token)) : null,
                null,
                List.of(token.expertWeights()),
                losses.drain()));
    }

    @Override
    public void onExpertLost(String expert, Throwable failure) {
        losses.lost(expert, failure);
    }

    @Override
    public void onFinish(GenerationResult result) {
        String text = trimmer.accept(OpenAiAnswers.text(last)) + trimmer.finish();
        events.send(chunk(
                new ChatCompletionChunk.Delta(null, text),
                logprobs ? ChatLogprobs.of(List.of(last)) : null,
                OpenAiAnswers.finishReason(result.finishReason()),
                List.of(last.expertWeights()),
                OpenAiAnswers.lostExperts(result)));
        if (includeUsage) {
            events.send(new ChatCompletionChunk(
                    answers.id(),
                    "chat.completion.chunk",
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

    private ChatCompletionChunk chunk(
            ChatCompletionChunk.Delta delta,
            ChatLogprobs logprobs,
            String finishReason,
            List<double[]> weights,
            List<LostExpert> lost) {
        return new ChatCompletionChunk(
                answers.id(),
                "chat.completion.chunk",
                answers.created(),
                answers.model(),
                List.of(new ChatCompletionChunk.Choice(0, delta, logprobs, finishReason, weights, lost)),
                null);
    }
}
