package io.tributary.tools.router;

import io.tributary.routing.BatchEntry;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertBatch;
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
 * computed by the experts' own model code with a scored, batched prefill: the answer is the tail of the prompt
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
                    question =
                            turn.path("value").asString().replace("<image>", "").strip();
                } else if (question != null && from.equals("gpt")) {
                    answer = turn.path("value").asString();
                    break;
                }
            }
            if (question == null || answer == null) {
                throw new IllegalArgumentException(
                        "sample " + sample.path("id") + " has no human turn followed " + "by a gpt turn");
            }
            return new Exchange(question, answer);
        }
    }

    /** A sample to score: its first exchange and its images. */
    record Item(Exchange exchange, List<ImageInput> images) {}

    /**
     * log p_k(answer | question, images) for every item and expert k, in natural log: [items][K]. Each expert
     * prefills all the items in one batched forward pass (an expert that cannot batch runs them one by one).
     */
    double[][] score(List<Item> items) {
        Prompt[] prompts = new Prompt[items.size()];
        int[] answerTokens = new int[items.size()];
        for (int i = 0; i < prompts.length; i++) {
            Item item = items.get(i);
            int[] question = encode(item.exchange(), item.images(), false);
            int[] whole = encode(item.exchange(), item.images(), true);
            answerTokens[i] = whole.length - question.length;
            if (answerTokens[i] < 1) {
                throw new IllegalArgumentException(
                        "the answer '" + item.exchange().answer() + "' encodes to no " + "tokens");
            }
            prompts[i] = new Prompt(whole, item.images());
        }
        double[][] scores = new double[items.size()][experts.size()];
        for (int k = 0; k < experts.size(); k++) {
            List<ExpertSession> sessions = new ArrayList<>();
            try {
                for (Prompt prompt : prompts) {
                    sessions.add(experts.get(k).open(prompt));
                }
                List<BatchEntry> prefill = sessions.stream()
                        .filter(session -> session.pendingPositions() > 0)
                        .map(session -> new BatchEntry(session, session.pendingPositions(), true))
                        .toList();
                if (!prefill.isEmpty()) {
                    experts.get(k).forward(new ExpertBatch(prefill));
                }
                for (int i = 0; i < prompts.length; i++) {
                    float[] logProbs = sessions.get(i).promptTokenLogProbs(); // per position, images expanded
                    double sum = 0;
                    for (int p = logProbs.length - answerTokens[i]; p < logProbs.length; p++) {
                        sum += logProbs[p];
                    }
                    scores[i][k] = sum;
                }
            } finally {
                sessions.forEach(ExpertSession::close);
            }
        }
        return scores;
    }

    int[] encode(Exchange exchange, List<ImageInput> images, boolean withAnswer) {
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
