package io.tributary.server.api.openai;

import java.util.List;

/**
 * OpenAI leaves stop sequences out of the text, where TGI keeps them: while streaming, text that could be the start
 * of a stop sequence is held back until the next tokens show whether it is one; at the end, the text is cut where
 * the first stop sequence begins.
 */
final class StopTrimmer {

    private final List<String> stops;
    private final StringBuilder text = new StringBuilder();
    private int released;

    StopTrimmer(List<String> stops) {
        this.stops = stops;
    }

    /** Adds a token's text; returns what can be sent now. */
    String accept(String piece) {
        text.append(piece);
        int stop = firstStop();
        int safe = stop >= 0 ? stop : text.length() - longestPendingPrefix();
        return release(Math.max(safe, released));
    }

    /** Returns what is still held back, cut at the first stop sequence. */
    String finish() {
        int stop = firstStop();
        return release(stop >= 0 ? Math.max(stop, released) : text.length());
    }

    /** The whole text of a finished generation, cut at the first stop sequence. */
    static String trim(String text, List<String> stops) {
        StopTrimmer trimmer = new StopTrimmer(stops);
        trimmer.text.append(text);
        return trimmer.finish();
    }

    private String release(int upTo) {
        String out = text.substring(released, upTo);
        released = upTo;
        return out;
    }

    private int firstStop() {
        int first = -1;
        for (String stop : stops) {
            int at = text.indexOf(stop);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        return first;
    }

    /** The longest end of the text that is a proper prefix of a stop sequence. */
    private int longestPendingPrefix() {
        String current = text.toString();
        int longest = 0;
        for (String stop : stops) {
            for (int length = Math.min(stop.length() - 1, current.length()); length > longest; length--) {
                if (current.regionMatches(current.length() - length, stop, 0, length)) {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }
}
