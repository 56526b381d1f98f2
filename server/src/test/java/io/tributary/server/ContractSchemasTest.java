package io.tributary.server;

import org.junit.jupiter.api.Test;

import static io.tributary.server.HttpTestClient.JSON;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The contract check itself must be able to fail. */
class ContractSchemasTest {

    @Test
    void acceptsWhatTheContractDescribesAndRefusesWhatItDoesNot() {
        ContractSchemas.assertValid(
                "Usage", JSON.readTree("{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}"));
        assertThatThrownBy(() -> ContractSchemas.assertValid("Usage", JSON.readTree("{\"prompt_tokens\":1}")))
                .isInstanceOf(AssertionError.class);
        assertThatThrownBy(
                        () -> ContractSchemas.assertValid(
                                "ChatCompletionChunk",
                                JSON.readTree(
                                        "{\"id\":\"x\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[]}")))
                .as("a wrong object type")
                .isInstanceOf(AssertionError.class);
        ContractSchemas.assertValid(
                "ChatCompletionRequest",
                JSON.readTree(
                        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}],\"stop\":\"x\"}"));
    }
}
