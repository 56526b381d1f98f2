package io.tributary.server.error;

import io.tributary.routing.ExpertUnavailableException;
import io.tributary.routing.refusal.ImageRefusedException;
import io.tributary.routing.refusal.KvBudgetExceededException;
import io.tributary.routing.refusal.PromptTooLongException;
import io.tributary.routing.refusal.RequestRefusedException;
import io.tributary.routing.refusal.RoutingRefusedException;
import io.tributary.server.serving.RequestValidationException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CancellationException;

import static org.assertj.core.api.Assertions.assertThat;

class StreamedErrorTest {

    @Test
    void everyKindOfRefusalEndsAStreamAsAValidationErrorWithItsMessage() {
        List<RequestRefusedException> refusals = List.of(
                new PromptTooLongException("too long"),
                new ImageRefusedException("unreadable"),
                new KvBudgetExceededException("over budget"),
                new RoutingRefusedException("unknown mode"),
                new RequestValidationException("bad field"));
        for (RequestRefusedException refusal : refusals) {
            StreamedError error = StreamedError.of(refusal);
            assertThat(error.status()).as(refusal.getClass().getSimpleName()).isEqualTo(422);
            assertThat(error.body()).isEqualTo(new ErrorResponse(refusal.getMessage(), "validation"));
            assertThat(error.openAi().error().type()).isEqualTo("invalid_request_error");
            assertThat(error.openAi().error().message()).isEqualTo(refusal.getMessage());
        }
    }

    @Test
    void aBugEndsAStreamAsAnInternalErrorThatKeepsItsDetailsToTheLog() {
        StreamedError error = StreamedError.of(new IllegalArgumentException("weight 1 is negative: -0.2"));
        assertThat(error.status()).isEqualTo(500);
        assertThat(error.body()).isEqualTo(ErrorResponse.INTERNAL);
        assertThat(error.openAi().error().type()).isEqualTo("server_error");
        assertThat(StreamedError.of(new NullPointerException()).body()).isEqualTo(ErrorResponse.INTERNAL);
    }

    @Test
    void lostExpertsAndCancellationKeepTheirOwnTypes() {
        StreamedError lost = StreamedError.of(new ExpertUnavailableException("alpha", "unreachable", null));
        assertThat(lost.status()).isEqualTo(424);
        assertThat(lost.body()).isEqualTo(new ErrorResponse("unreachable", "generation"));
        StreamedError cancelled = StreamedError.of(new CancellationException());
        assertThat(cancelled.body().errorType()).isEqualTo("cancelled");
        assertThat(cancelled.openAi().error().type()).isEqualTo("service_unavailable_error");
    }
}
