package io.tributary.routing.router;

/**
 * Decides how much each expert contributes to each generated token.
 *
 * <p>A router is configured once per mixture and shared by all requests; the per-request state (a posterior
 * that learns from every token, say) lives in the {@link RoutingSession} it starts.
 */
public interface Router {

    /** The routing mode's name as written in the manifest ({@code uniform}, {@code fixed}, ...). */
    String mode();

    /** Starts routing one request. */
    RoutingSession start(RoutingContext context);
}
