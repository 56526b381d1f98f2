package io.tributary.routing.refusal;

/**
 * The request alone may need more KV cache (its prompt and every token it asks for) than the scheduler's whole
 * budget: it could never be admitted, however long it waited. Fewer tokens would fit.
 */
public final class KvBudgetExceededException extends RequestRefusedException {

    public KvBudgetExceededException(String message) {
        super(message);
    }
}
