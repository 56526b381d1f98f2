package io.tributary.server.expert;

import io.tributary.server.error.ErrorResponse;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;

/**
 * An expert server answers gateways over gRPC, not clients over HTTP: everything but the actuator (health probes,
 * metrics) and the scrape at {@code /metrics} is refused with a 404 that says where generation requests go.
 */
class ExpertRoleFilter extends OncePerRequestFilter {

    private final int grpcPort;
    private final JsonMapper json;

    ExpertRoleFilter(int grpcPort, JsonMapper json) {
        this.grpcPort = grpcPort;
        this.json = json;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        if (path.startsWith("/actuator") || path.equals("/metrics")) {
            chain.doFilter(request, response);
            return;
        }
        response.setStatus(HttpStatus.NOT_FOUND.value());
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        json.writeValue(
                response.getOutputStream(),
                new ErrorResponse(
                        "this is an expert server "
                                + "(tributary.role=expert): it serves its experts to gateways over gRPC on port "
                                + grpcPort
                                + "; send generation requests to a gateway",
                        "not_found"));
    }
}
