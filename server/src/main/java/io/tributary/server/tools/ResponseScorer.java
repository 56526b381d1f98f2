package io.tributary.server.tools;

import io.tributary.routing.Expert;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;
import io.tributary.server.chat.ChatMessage;
import io.tributary.server.mixture.PromptEncoder;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * Each expert's log-likelihood of a sample's answer given its question and images, log p_k(answer | question, image),
 * computed by the experts' own model code with a scored prefill: the answer is the tail of the prompt
 * (question rendered by the mixture's chat template, then the answer).
 */
final class ResponseScorer {

    private final List<Expert> experts;
    private final PromptEncoder prompts;

    ResponseScorer(List<Expert> experts, PromptEncoder prompts) {
        this.experts = experts;
        this.prompts = prompts;
    }

    /** The first question and answer of a LLaVA / InternVL conversation ("human" / "gpt" turns). */
    record Exchange(String question, String answer) {
        static Exchange of(JsonNode sample) {
            String question = null;
            String answer = null;
            for (JsonNode turn : sample.path("conversations")) {
                String from = turn.path("from").asString();
                if (question == null && from.equals("human")) {
                    question = turn.path("value").asString().replace("<image>", "").strip();
                } else if (question != null && from.equals("gpt")) {
                    answer = turn.path("value").asString();
                    break;
                }
            }
            if (question == null || answer == null) {
                throw new IllegalArgumentException("sample " + sample.path("id") + " has no human turn followed "
                        + "by a gpt turn");
            }
            return new Exchange(question, answer);
        }
    }

    /** log p_k(answer | question, images) for every expert k, in natural log. */
    double[] score(Exchange exchange, List<ImageInput> images) {
        int[] question = encode(exchange, images, false);
        int[] whole = encode(exchange, images, true);
        int answerTokens = whole.length - question.length;
        if (answerTokens < 1) {
            throw new IllegalArgumentException("the answer '" + exchange.answer() + "' encodes to no tokens");
        }
        double[] scores = new double[experts.size()];
        Prompt prompt = new Prompt(whole, images);
        for (int k = 0; k < scores.length; k++) {
            try (ExpertSession session = experts.get(k).open(prompt)) {
                float[] logProbs = session.promptTokenLogProbs(); // one per position, images expanded
                double sum = 0;
                for (int p = logProbs.length - answerTokens; p < logProbs.length; p++) {
                    sum += logProbs[p];
                }
                scores[k] = sum;
            }
        }
        return scores;
    }

    private int[] encode(Exchange exchange, List<ImageInput> images, boolean withAnswer) {
        String placeholder = prompts.imagePlaceholder().orElse("<image>");
        if (prompts.chatTemplate().isPresent()) {
            List<ChatMessage.Part> parts = new ArrayList<>();
            images.forEach(image -> parts.add(new ChatMessage.Image(image)));
            parts.add(new ChatMessage.Text(exchange.question()));
            List<ChatMessage> messages = new ArrayList<>(List.of(new ChatMessage("user", parts)));
            if (withAnswer) {
                messages.add(ChatMessage.text("assistant", exchange.answer()));
            }
            return prompts.encodeRendered(prompts.chatTemplate().get().render(messages, !withAnswer, placeholder));
        }
        String question = "USER: " + (placeholder + "\n").repeat(images.size()) + exchange.question() + " ASSISTANT:";
        return prompts.encode(withAnswer ? question + " " + exchange.answer() : question);
    }
}
