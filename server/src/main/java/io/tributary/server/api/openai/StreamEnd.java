package io.tributary.server.api.openai;

import io.tributary.routing.decode.GenerationResult;
import io.tributary.server.error.StreamedError;
import io.tributary.server.serving.SseEventQueue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The end of an OpenAI stream shared by its choices: once every choice has sent its last chunk, the usage event (when
 * asked for) and {@code [DONE]}; the first failure ends the stream for all of them, and ending it cancels the
 * generations still running.
 */
final class StreamEnd {

    private final SseEventQueue events;
    private final int choices;
    private final Function<Usage, Object> usageEvent; // null: no usage event
    private final List<GenerationResult> finished = new ArrayList<>();
    private boolean ended;

    StreamEnd(SseEventQueue events, int choices, Function<Usage, Object> usageEvent) {
        this.events = events;
        this.choices = choices;
        this.usageEvent = usageEvent;
    }

    synchronized void finished(GenerationResult result, OpenAiAnswers answers) {
        if (ended) {
            return;
        }
        finished.add(result);
        if (finished.size() == choices) {
            if (usageEvent != null) {
                events.send(usageEvent.apply(answers.usage(finished)));
            }
            end();
        }
    }

    synchronized void failed(Throwable error) {
        if (ended) {
            return;
        }
        events.send(StreamedError.of(error).openAi());
        end();
    }

    private void end() {
        ended = true;
        events.sendText("[DONE]");
        events.complete();
    }
}
