package io.tributary.routing.decode;

/**
 * A generation's session of a remote expert moved to another replica of that expert, because the one it was on
 * failed; the answer went on with the same expert.
 *
 * @param afterTokens tokens generated before the move
 * @param detail      which replica failed, why, and which took the session, in words
 */
public record ExpertFailover(String expert, int afterTokens, String detail) {}
