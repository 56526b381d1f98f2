package io.tributary.server.api.openai;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StopTrimmerTest {

    @Test
    void holdsBackWhatMayStartAStopSequenceAndCutsWhereItBegins() {
        StopTrimmer trimmer = new StopTrimmer(List.of("END"));
        assertThat(trimmer.accept("The ")).isEqualTo("The ");
        assertThat(trimmer.accept("rive")).isEqualTo("rive");
        assertThat(trimmer.accept("r E")).isEqualTo("r "); // "E" may start END
        assertThat(trimmer.accept("N")).isEmpty(); // "EN" still may
        assertThat(trimmer.accept("Ds here")).isEmpty(); // END found: nothing after it is text
        assertThat(trimmer.finish()).isEmpty();
    }

    @Test
    void releasesHeldTextThatTurnsOutNotToBeAStop() {
        StopTrimmer trimmer = new StopTrimmer(List.of("END"));
        assertThat(trimmer.accept("a E")).isEqualTo("a ");
        assertThat(trimmer.accept("x")).isEqualTo("Ex");
        assertThat(trimmer.accept("EN")).isEmpty();
        assertThat(trimmer.finish()).isEqualTo("EN"); // the generation ended for another reason
    }

    @Test
    void theEarliestOfSeveralStopsWinsAndWithoutStopsNothingIsHeld() {
        assertThat(StopTrimmer.trim("one. two! three", List.of("!", "."))).isEqualTo("one");
        StopTrimmer none = new StopTrimmer(List.of());
        assertThat(none.accept("E")).isEqualTo("E");
        assertThat(StopTrimmer.trim("text", List.of())).isEqualTo("text");
    }
}
