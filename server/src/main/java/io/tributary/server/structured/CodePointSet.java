package io.tributary.server.structured;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A set of Unicode code points as sorted, disjoint, inclusive ranges: what a regex character class denotes. */
final class CodePointSet {

    private static final CodePointSet SURROGATES = of(0xD800, 0xDFFF);
    static final CodePointSet DIGITS = of('0', '9');
    static final CodePointSet WORD =
            of('0', '9').with(of('A', 'Z')).with(of('_', '_')).with(of('a', 'z'));
    static final CodePointSet SPACE = of('\t', '\r').with(of(' ', ' ')).with(of(0xA0, 0xA0));
    /** What {@code .} matches: everything but line ends. */
    static final CodePointSet DOT = of('\n', '\n').with(of('\r', '\r')).complement();

    private final int[] ranges;

    private CodePointSet(int[] ranges) {
        this.ranges = ranges;
    }

    static CodePointSet of(int from, int to) {
        return new CodePointSet(new int[] {from, to});
    }

    static CodePointSet none() {
        return new CodePointSet(new int[0]);
    }

    CodePointSet with(CodePointSet other) {
        int[] all = Arrays.copyOf(ranges, ranges.length + other.ranges.length);
        System.arraycopy(other.ranges, 0, all, ranges.length, other.ranges.length);
        int[][] pairs = new int[all.length / 2][];
        for (int i = 0; i < pairs.length; i++) {
            pairs[i] = new int[] {all[2 * i], all[2 * i + 1]};
        }
        Arrays.sort(pairs, (a, b) -> Integer.compare(a[0], b[0]));
        List<Integer> merged = new ArrayList<>();
        for (int[] pair : pairs) {
            int last = merged.size() - 1;
            if (last > 0 && pair[0] <= merged.get(last) + 1) {
                merged.set(last, Math.max(merged.get(last), pair[1]));
            } else {
                merged.add(pair[0]);
                merged.add(pair[1]);
            }
        }
        return new CodePointSet(merged.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Every code point not in this set, surrogates excepted: they never stand alone in UTF-8 text. */
    CodePointSet complement() {
        int[] excluded = with(SURROGATES).ranges;
        List<Integer> result = new ArrayList<>();
        int next = 0;
        for (int i = 0; i < excluded.length; i += 2) {
            if (excluded[i] > next) {
                result.add(next);
                result.add(excluded[i] - 1);
            }
            next = excluded[i + 1] + 1;
        }
        if (next <= Languages.MAX_CODE_POINT) {
            result.add(next);
            result.add(Languages.MAX_CODE_POINT);
        }
        return new CodePointSet(result.stream().mapToInt(Integer::intValue).toArray());
    }

    boolean isEmpty() {
        return ranges.length == 0;
    }

    org.apache.lucene.util.automaton.Automaton language() {
        return Languages.codePoints(ranges);
    }
}
