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

    public int[] tokenIds() {
        return tokens.stream().mapToInt(GeneratedToken::id).toArray();
    }
}
