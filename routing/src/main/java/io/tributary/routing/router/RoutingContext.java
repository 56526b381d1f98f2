package io.tributary.routing.router;

import io.tributary.routing.Prompt;

/** What a router may look at when a request starts. */
public record RoutingContext(Prompt prompt, int expertCount) {

    public RoutingContext {
        if (expertCount < 1) {
            throw new IllegalArgumentException("a mixture needs at least one expert");
        }
    }
}
