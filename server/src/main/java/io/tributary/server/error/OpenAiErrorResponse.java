package io.tributary.server.error;

/**
 * OpenAI's error body, {@code {"error": {"message", "type", "param", "code"}}}, for the {@code /v1} routes, so the
 * OpenAI SDKs raise their own typed errors with our message.
 */
public record OpenAiErrorResponse(Body error) {

    public record Body(String message, String type, String param, String code) {}

    /** The OpenAI error for a TGI-style error of the given status. */
    public static OpenAiErrorResponse of(int status, ErrorResponse tgi) {
        String type = switch (status) {
            case 400, 404, 405, 413, 415, 422 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 429 -> "rate_limit_error";
            case 503 -> "service_unavailable_error";
            case 504 -> "timeout_error";
            default -> "server_error";
        };
        String code = status == 404 && tgi.errorType().equals("model_not_found") ? "model_not_found" : null;
        return new OpenAiErrorResponse(new Body(tgi.error(), type, null, code));
    }
}
