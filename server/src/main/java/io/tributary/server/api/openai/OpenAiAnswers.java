package io.tributary.server.api.openai;

import io.tributary.routing.decode.FinishReason;
import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.GenerationResult;
import io.tributary.routing.decode.TopToken;
import io.tributary.server.serving.ExpertFailover;
import io.tributary.server.serving.LostExpert;
import io.tributary.server.toolcalls.ToolCallReader;
import io.tributary.server.toolcalls.ToolCallSyntax;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What every answer to one OpenAI-style request shares (its id, creation time, model name and prompt size), and
 * the mapping of finished generations to OpenAI's wire types.
 */
record OpenAiAnswers(String id, long created, String model, int promptTokens) {

    static OpenAiAnswers start(String idPrefix, String model, int promptTokens) {
        return new OpenAiAnswers(
                idPrefix + UUID.randomUUID().toString().replace("-", ""),
                System.currentTimeMillis() / 1000,
                model,
                promptTokens);
    }

    Usage usage(GenerationResult result) {
        return usage(List.of(result));
    }

    /** The prompt once, and every choice's tokens. */
    Usage usage(List<GenerationResult> results) {
        return Usage.of(
                promptTokens,
                results.stream().mapToInt(GenerationResult::generatedTokens).sum());
    }

    /**
     * One choice per result, in order ({@code n} above 1). With a {@code calls} reader, an answer that calls tools
     * has them in {@code tool_calls}, the text before them as its content, and finishes with {@code tool_calls}.
     */
    ChatCompletion chatCompletion(
            List<GenerationResult> results, List<String> stops, boolean logprobs, ToolCallReader calls) {
        List<ChatCompletion.Choice> choices = new ArrayList<>();
        for (int index = 0; index < results.size(); index++) {
            GenerationResult result = results.get(index);
            String text = StopTrimmer.trim(result.generatedText(), stops);
            ToolCallSyntax.Parsed parsed = calls == null ? null : calls.read(text);
            boolean called = parsed != null && !parsed.calls().isEmpty();
            choices.add(new ChatCompletion.Choice(
                    index,
                    called
                            ? new ChatCompletion.Message(
                                    "assistant", parsed.content(), ChatCompletion.ToolCallWire.of(parsed.calls()))
                            : new ChatCompletion.Message("assistant", text),
                    logprobs ? ChatLogprobs.of(result.tokens()) : null,
                    called ? "tool_calls" : finishReason(result.finishReason()),
                    weights(result),
                    lostExperts(result),
                    failovers(result)));
        }
        return new ChatCompletion(id, "chat.completion", created, model, choices, usage(results));
    }

    Completion completion(GenerationResult result, List<String> stops, boolean logprobs, String echo) {
        return completion(List.of(result), stops, logprobs, echo);
    }

    /** One choice per result, in order ({@code n} above 1). */
    Completion completion(List<GenerationResult> results, List<String> stops, boolean logprobs, String echo) {
        List<Completion.Choice> choices = new ArrayList<>();
        for (int index = 0; index < results.size(); index++) {
            GenerationResult result = results.get(index);
            choices.add(new Completion.Choice(
                    index,
                    echo + StopTrimmer.trim(result.generatedText(), stops),
                    logprobs ? completionLogprobs(result.tokens(), echo.length()) : null,
                    finishReason(result.finishReason()),
                    weights(result),
                    lostExperts(result),
                    failovers(result)));
        }
        return new Completion(id, "text_completion", created, model, choices, usage(results));
    }

    /** The legacy logprobs of {@code tokens}, the first one starting at character {@code offset} of the text. */
    static Completion.Logprobs completionLogprobs(List<GeneratedToken> tokens, int offset) {
        List<String> texts = new ArrayList<>();
        List<Float> logprobs = new ArrayList<>();
        List<Map<String, Float>> tops = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        for (GeneratedToken token : tokens) {
            texts.add(token.text());
            logprobs.add(token.logProb());
            Map<String, Float> top = new LinkedHashMap<>();
            for (TopToken alternative : token.topTokens()) {
                top.putIfAbsent(alternative.text(), alternative.logProb());
            }
            tops.add(top);
            offsets.add(offset);
            offset += text(token).length();
        }
        return new Completion.Logprobs(texts, logprobs, tops, offsets);
    }

    /** A token's share of the answer's text: special tokens (end of sequence) are not part of it. */
    static String text(GeneratedToken token) {
        return token.special() ? "" : token.text();
    }

    /** OpenAI says {@code stop} for an end-of-sequence token and for a stop sequence alike. */
    static String finishReason(FinishReason reason) {
        return reason == FinishReason.LENGTH ? "length" : "stop";
    }

    /** Remote experts' sessions that moved to another replica during the answer (none, almost always). */
    static List<ExpertFailover> failovers(GenerationResult result) {
        return ExpertFailover.of(result.failovers());
    }

    /** Remote experts lost during the answer (none, almost always). */
    static List<LostExpert> lostExperts(GenerationResult result) {
        return LostExpert.of(result.lostExperts());
    }

    private static List<double[]> weights(GenerationResult result) {
        return result.tokens().stream().map(GeneratedToken::expertWeights).toList();
    }
}
