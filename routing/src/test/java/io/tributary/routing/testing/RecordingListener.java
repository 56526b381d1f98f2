package io.tributary.routing.testing;

import io.tributary.routing.decode.GeneratedToken;
import io.tributary.routing.decode.GenerationListener;
import io.tributary.routing.decode.GenerationResult;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every event a generation publishes; {@link #result} completes on finish or error. */
public class RecordingListener implements GenerationListener {

    public final List<GeneratedToken> tokens = new CopyOnWriteArrayList<>();
    public final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    /** What each reported prompt chunk ran, and the token count when it was reported. */
    public final List<int[]> promptChunks = new CopyOnWriteArrayList<>();

    public volatile boolean started;

    @Override
    public void onStarted() {
        started = true;
    }

    @Override
    public void onPromptChunk(int positions, long startNanos, long endNanos) {
        if (endNanos < startNanos) {
            throw new AssertionError("a chunk ended before it started");
        }
        promptChunks.add(new int[] {positions, tokens.size()});
    }

    @Override
    public void onToken(GeneratedToken token) {
        tokens.add(token);
    }

    @Override
    public void onFinish(GenerationResult finished) {
        result.complete(finished);
    }

    @Override
    public void onError(Throwable error) {
        result.completeExceptionally(error);
    }

    public int[] promptChunkPositions() {
        return promptChunks.stream().mapToInt(chunk -> chunk[0]).toArray();
    }

    public int[] tokenIds() {
        return tokens.stream().mapToInt(GeneratedToken::id).toArray();
    }
}
