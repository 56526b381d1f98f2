package io.tributary.server.serving;

import io.tributary.model.NativeTarget;
import org.springframework.stereotype.Component;

import java.util.concurrent.ThreadFactory;

/** Decoding threads, each prepared for native inference before it runs its first step. */
@Component
public class DecodeThreads implements ThreadFactory {

    @Override
    public Thread newThread(Runnable work) {
        return new Thread(() -> {
            NativeTarget.prepareInferenceThread();
            work.run();
        });
    }
}
