package io.tributary.routing.decode;

/** Why a generation ended; the wire names are text-generation-inference's. */
public enum FinishReason {
    LENGTH("length"),
    EOS_TOKEN("eos_token"),
    STOP_SEQUENCE("stop_sequence");

    private final String wireName;

    FinishReason(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
