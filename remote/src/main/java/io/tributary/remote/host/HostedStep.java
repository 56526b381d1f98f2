package io.tributary.remote.host;

import io.grpc.Context;
import io.grpc.Status;
import io.tributary.remote.proto.PromptScore;
import io.tributary.remote.proto.StepEntry;
import io.tributary.remote.proto.StepReply;
import io.tributary.remote.proto.StepResult;
import io.tributary.remote.wire.Distributions;
import io.tributary.routing.BatchEntry;
import io.tributary.routing.ExpertBatch;
import io.tributary.routing.ExpertSession;

import java.util.ArrayList;
import java.util.List;

/** One batched step a gateway asked of one expert: feed each session its new tokens, one forward pass, answer. */
final class HostedStep {

    private HostedStep() {}

    static StepReply run(HostedExpert expert, HostedSessions sessions, List<StepEntry> entries, double epsilon) {
        long started = System.nanoTime();
        synchronized (expert) {
            List<HostedSessions.Hosted> hosted = new ArrayList<>(entries.size());
            for (StepEntry entry : entries) {
                HostedSessions.Hosted session = sessions.touch(entry.getSessionId());
                if (session == null || session.owner != expert) {
                    throw Status.NOT_FOUND
                            .withDescription("session " + entry.getSessionId() + " is not open in " + "expert '"
                                    + expert.name() + "' (closed, or its lease ran out)")
                            .asRuntimeException();
                }
                hosted.add(session);
            }
            List<BatchEntry> batch = new ArrayList<>();
            int[] ran = new int[entries.size()];
            for (int i = 0; i < entries.size(); i++) {
                StepEntry entry = entries.get(i);
                ExpertSession session = hosted.get(i).session;
                entry.getAppendedTokensList().forEach(session::append);
                // An expert that computes on demand has nothing pending; the gateway still steps it to get its answer.
                int positions = Math.min(entry.getPositions(), session.pendingPositions());
                ran[i] = positions;
                if (positions > 0) {
                    batch.add(new BatchEntry(session, positions, entry.getScorePrompt()));
                }
            }
            if (Context.current().isCancelled()) {
                throw Status.CANCELLED
                        .withDescription("the gateway cancelled the step")
                        .asRuntimeException();
            }
            if (!batch.isEmpty()) {
                expert.expert().forward(new ExpertBatch(batch));
            }
            StepReply.Builder reply = StepReply.newBuilder();
            for (int i = 0; i < entries.size(); i++) {
                StepResult result = result(hosted.get(i), entries.get(i).getScorePrompt(), epsilon);
                HostedSessions.Hosted session = hosted.get(i);
                session.trace.stepped(
                        ran[i],
                        result.getPendingPositions(),
                        result.getCachedPromptPositions(),
                        session.session.imageEncoding());
                reply.addResults(result);
            }
            return reply.setHostNanos(System.nanoTime() - started).build();
        }
    }

    private static StepResult result(HostedSessions.Hosted hosted, boolean scorePrompt, double epsilon) {
        ExpertSession session = hosted.session;
        int pending = session.pendingPositions();
        StepResult.Builder result = StepResult.newBuilder()
                .setSessionId(hosted.id)
                .setPendingPositions(pending)
                .setCachedPromptPositions(session.cachedPromptPositions());
        if (pending > 0) {
            return result.build();
        }
        if (scorePrompt && !hosted.scoreSent) {
            result.setPromptScore(score(session)); // before the first distribution, as the session requires
            hosted.scoreSent = true;
        }
        return result.setNext(Distributions.encode(session.nextLogProbs(), epsilon))
                .build();
    }

    private static PromptScore score(ExpertSession session) {
        try {
            PromptScore.Builder score =
                    PromptScore.newBuilder().setSupported(true).setLogLikelihood(session.promptLogLikelihood());
            for (float logProb : session.promptTokenLogProbs()) {
                score.addTokenLogProbs(logProb);
            }
            return score.build();
        } catch (UnsupportedOperationException e) {
            return PromptScore.newBuilder().setSupported(false).build();
        }
    }
}
