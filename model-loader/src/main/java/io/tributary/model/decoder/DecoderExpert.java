package io.tributary.model.decoder;

import io.tributary.model.NativeMemory;
import io.tributary.routing.Expert;
import io.tributary.routing.ExpertBatch;

/**
 * An expert that generates with a Llama-family decoder (text-only, LLaVA or InternVL): its batched steps and its
 * KV cache are its {@link BatchDecoder}'s.
 */
public interface DecoderExpert extends Expert, NativeMemory {

    /** The decoder that runs this expert's sessions. */
    BatchDecoder batchDecoder();

    /** One batched step over this expert's sessions: see {@link BatchDecoder#forward}. */
    @Override
    default void forward(ExpertBatch batch) {
        batchDecoder().forward(batch);
    }

    @Override
    default long kvBytesPerPosition() {
        return batchDecoder().kvBytesPerPosition();
    }

    /** Bytes the decoder's weights take as held: dense arrays and packed ones with their scales. */
    default long decoderWeightBytes() {
        return batchDecoder().model().weightBytes();
    }

    /** Bytes the KV cache of this expert's open sessions holds now. */
    @Override
    default long kvCacheBytes() {
        return batchDecoder().kvAllocatedBytes();
    }
}
