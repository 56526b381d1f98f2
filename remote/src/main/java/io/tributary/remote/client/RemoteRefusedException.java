package io.tributary.remote.client;

import io.tributary.routing.refusal.RequestRefusedException;

/**
 * A remote expert refused the request: its host found it unservable (a prompt too long, an unreadable image, ...)
 * and answered {@code INVALID_ARGUMENT}. The host's message comes through; which kind of refusal it was does not
 * cross the wire, and need not: every kind is answered alike.
 */
public final class RemoteRefusedException extends RequestRefusedException {

    RemoteRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
