package io.tributary.routing.refusal;

/**
 * A routing the mixture cannot serve: an unknown mode, a mode whose artefacts (centroids, a classifier) the
 * mixture lacks, a parameter the mode does not take, or one out of its range.
 */
public final class RoutingRefusedException extends RequestRefusedException {

    public RoutingRefusedException(String message) {
        super(message);
    }
}
