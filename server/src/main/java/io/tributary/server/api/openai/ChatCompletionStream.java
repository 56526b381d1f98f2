package io.tributary.server.api.openai;

import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.GenerationListener;
import io.tributary.routing.decode.GenerationResult;
import io.tributary.server.serving.ExpertFailover;
import io.tributary.server.serving.LostExpert;
import io.tributary.server.serving.SseEventQueue;
import io.tributary.server.serving.StreamedExpertEvents;
import io.tributary.server.toolcalls.ToolCall;
import io.tributary.server.toolcalls.ToolCallReader;
import io.tributary.server.toolcalls.ToolCallSyntax;

import java.util.ArrayList;
import java.util.List;

/**
 * Streams one choice of a chat completion as OpenAI does: a first chunk with the assistant's role, one chunk per
 * token, a last chunk with the finish reason; then, once every choice has finished, optionally a usage chunk and
 * {@code data: [DONE]} ({@link StreamEnd}). A failure mid-stream becomes an {@code {"error": {...}}} event before
 * {@code [DONE]}. When the answer is searched for tool calls, text from
 * where a call may begin is held back; the last chunk then carries the calls whole, or the held text if it was none.
 */
final class ChatCompletionStream implements GenerationListener {

    private final SseEventQueue events;
    private final OpenAiAnswers answers;
    private final StopTrimmer trimmer;
    private final boolean logprobs;
    private final int index;
    private final StreamEnd end;
    private final StreamedExpertEvents experts = new StreamedExpertEvents();
    private final List<String> stops;
    private final ToolCallReader calls; // null: the answer is text only
    private int sent; // characters of content sent
    private GeneratedToken last;

    /**
     * @param index which choice this stream is ({@code n} above 1 streams several, each with its own index)
     * @param end   where the choices' stream ends
     */
    ChatCompletionStream(
            SseEventQueue events,
            OpenAiAnswers answers,
            List<String> stops,
            boolean logprobs,
            int index,
            StreamEnd end,
            ToolCallReader calls) {
        this.events = events;
        this.answers = answers;
        this.index = index;
        this.end = end;
        this.stops = stops;
        this.calls = calls;
        List<String> holdFrom = new ArrayList<>(stops);
        if (calls != null && !calls.callStart().isEmpty()) {
            holdFrom.add(calls.callStart());
        }
        this.trimmer = new StopTrimmer(holdFrom);
        this.logprobs = logprobs;
        events.send(chunk(new ChatCompletionChunk.Delta("assistant", ""), null, null, List.of(), List.of(), List.of()));
    }

    @Override
    public void onToken(GeneratedToken token) {
        experts.token();
        if (token.last()) {
            last = token; // sent by onFinish with the finish reason
            return;
        }
        String piece = trimmer.accept(OpenAiAnswers.text(token));
        if (calls != null && calls.callStart().isEmpty()) {
            piece = ""; // the whole answer may be a call
        }
        sent += piece.length();
        events.send(chunk(
                new ChatCompletionChunk.Delta(null, piece),
                logprobs ? ChatLogprobs.of(List.of(token)) : null,
                null,
                List.of(token.expertWeights()),
                experts.drainLost(),
                experts.drainFailovers()));
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
        ChatCompletionChunk.Delta delta;
        String finishReason = OpenAiAnswers.finishReason(result.finishReason());
        if (calls == null) {
            delta = new ChatCompletionChunk.Delta(null, trimmer.accept(OpenAiAnswers.text(last)) + trimmer.finish());
        } else {
            String text = StopTrimmer.trim(result.generatedText(), stops);
            ToolCallSyntax.Parsed parsed = calls.read(text);
            if (parsed.calls().isEmpty()) {
                delta = new ChatCompletionChunk.Delta(null, text.substring(Math.min(sent, text.length())));
            } else {
                List<ChatCompletionChunk.ToolCallDelta> deltas = new ArrayList<>();
                for (ToolCall call : parsed.calls()) {
                    deltas.add(new ChatCompletionChunk.ToolCallDelta(
                            deltas.size(),
                            call.id(),
                            "function",
                            new ChatCompletion.Function(call.name(), call.arguments())));
                }
                delta = new ChatCompletionChunk.Delta(null, null, deltas);
                finishReason = "tool_calls";
            }
        }
        events.send(chunk(
                delta,
                logprobs ? ChatLogprobs.of(List.of(last)) : null,
                finishReason,
                List.of(last.expertWeights()),
                OpenAiAnswers.lostExperts(result),
                OpenAiAnswers.failovers(result)));
        end.finished(result, answers);
    }

    @Override
    public void onError(Throwable error) {
        end.failed(error);
    }

    private ChatCompletionChunk chunk(
            ChatCompletionChunk.Delta delta,
            ChatLogprobs logprobs,
            String finishReason,
            List<double[]> weights,
            List<LostExpert> lost,
            List<ExpertFailover> failovers) {
        return new ChatCompletionChunk(
                answers.id(),
                "chat.completion.chunk",
                answers.created(),
                answers.model(),
                List.of(new ChatCompletionChunk.Choice(index, delta, logprobs, finishReason, weights, lost, failovers)),
                null);
    }
}
