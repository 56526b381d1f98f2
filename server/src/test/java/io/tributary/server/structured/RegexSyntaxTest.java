package io.tributary.server.structured;

import org.apache.lucene.util.automaton.Automaton;
import org.apache.lucene.util.automaton.Operations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RegexSyntaxTest {

    @ParameterizedTest
    @CsvSource(
            delimiterString = " ~ ",
            value = {
                "\\d{3}-\\d{4} ~ 555-1234 ~ 55-1234",
                "^[A-Z][a-z]+$ ~ Hello ~ hello",
                "(cat|dog)s? ~ dogs ~ cats!",
                "(?:ab)+ ~ ababab ~ aba",
                "[^0-9]* ~ no digits here ~ digit 1",
                "a{2,} ~ aaaa ~ a",
                "a{1,3}?b ~ aab ~ aaaab",
                "\\w+@\\w+\\.com ~ me@site.com ~ me@site.org",
                "[\\d.]+ ~ 3.14 ~ 3,14",
                "\\u00e9t\\u00e9 ~ été ~ ete",
                "x[-+]y ~ x-y ~ x*y",
                "(?P<year>\\d{4}) ~ 2026 ~ 26",
                "\\$\\d+\\.\\d\\d ~ $12.50 ~ 12.50",
                "[a-c]|\\s ~ ' ' ~ d",
                ".+ ~ any text ~ '\n'",
            })
    void matchesWholeStringsAsClientsRegexesDo(String pattern, String matching, String notMatching) {
        Automaton language = RegexSyntax.parse(pattern.strip());

        assertThat(Operations.run(language, matching)).as(matching).isTrue();
        assertThat(Operations.run(language, notMatching)).as(notMatching).isFalse();
    }

    @ParameterizedTest
    @CsvSource(
            quoteCharacter = '%',
            delimiterString = " ~ ",
            value = {
                "(?=a)b ~ look-around",
                "(a)\\1 ~ back-references",
                "a\\bb ~ word boundaries",
                "(ab ~ missing ')'",
                "ab) ~ unbalanced ')'",
                "[ab ~ missing ']'",
                "*a ~ nothing to repeat",
                "a{5,2} ~ min <= max",
                "a^b ~ anchors",
                "\\q ~ unknown escape",
                "(a{1000}){1000} ~ too large",
            })
    void whatIsNotRegularOrNotWellFormedIsRefusedWithTheReason(String pattern, String reason) {
        assertThatThrownBy(() -> RegexSyntax.parse(pattern.strip()))
                .isInstanceOf(ConstraintException.class)
                .hasMessageContaining(reason);
    }

    @Test
    void deepNestingIsRefusedRatherThanOverflowingTheStack() {
        assertThatThrownBy(() -> RegexSyntax.parse("(".repeat(5_000) + "a" + ")".repeat(5_000)))
                .isInstanceOf(ConstraintException.class)
                .hasMessageContaining("nest deeper than");
    }

    @Test
    void negatedClassesLeaveSurrogatesOutSoTheLanguageIsValidUtf8() {
        Automaton language = RegexSyntax.parse("[^a]");

        assertThat(Operations.run(language, "😀")).isTrue();
        assertThat(Operations.run(language, "a")).isFalse();
    }
}
