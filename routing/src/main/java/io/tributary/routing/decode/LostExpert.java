package io.tributary.routing.decode;

/**
 * An expert a generation went on without.
 *
 * @param afterTokens tokens generated before it was lost: it took part in none from there on
 * @param reason      why, in words (unreachable, missed its deadline, ...)
 */
public record LostExpert(String expert, int afterTokens, String reason) {}
