package io.tributary.server.structured;

import org.apache.lucene.util.automaton.Automaton;
import org.apache.lucene.util.automaton.Operations;
import org.apache.lucene.util.automaton.UTF32ToUTF8;

/**
 * Languages over code points turned into languages over UTF-8 bytes. Lucene's conversion lets a few ill-formed
 * sequences through (overlong three-byte forms such as {@code E0 9F 89}); a token may end inside a character, so
 * those bytes would be reachable token by token. The result is therefore kept to well-formed UTF-8 (the Unicode
 * Standard's table 3-7).
 */
final class Utf8 {

    private static final Automaton WELL_FORMED = wellFormed();

    private Utf8() {}

    static Automaton bytesOf(Automaton codePoints) {
        return Operations.intersection(new UTF32ToUTF8().convert(codePoints), WELL_FORMED);
    }

    /** Any sequence of well-formed UTF-8 characters, surrogates excluded. */
    private static Automaton wellFormed() {
        Automaton a = new Automaton();
        int start = a.createState();
        a.setAccept(start, true);
        int need1 = a.createState(); // one continuation byte left
        int need2 = a.createState();
        int need3 = a.createState();
        int afterE0 = a.createState();
        int afterEd = a.createState();
        int afterF0 = a.createState();
        int afterF4 = a.createState();
        a.addTransition(start, start, 0x00, 0x7F);
        a.addTransition(start, need1, 0xC2, 0xDF);
        a.addTransition(start, afterE0, 0xE0, 0xE0);
        a.addTransition(start, need2, 0xE1, 0xEC);
        a.addTransition(start, afterEd, 0xED, 0xED);
        a.addTransition(start, need2, 0xEE, 0xEF);
        a.addTransition(start, afterF0, 0xF0, 0xF0);
        a.addTransition(start, need3, 0xF1, 0xF3);
        a.addTransition(start, afterF4, 0xF4, 0xF4);
        a.addTransition(need1, start, 0x80, 0xBF);
        a.addTransition(need2, need1, 0x80, 0xBF);
        a.addTransition(need3, need2, 0x80, 0xBF);
        a.addTransition(afterE0, need1, 0xA0, 0xBF);
        a.addTransition(afterEd, need1, 0x80, 0x9F);
        a.addTransition(afterF0, need2, 0x90, 0xBF);
        a.addTransition(afterF4, need2, 0x80, 0x8F);
        a.finishState();
        return a;
    }
}
