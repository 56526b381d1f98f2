package io.tributary.server.security;

import io.tributary.server.error.ErrorResponse;
import io.tributary.server.error.OpenAiErrorResponse;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Asks every API request for {@code Authorization: Bearer <key>}. Health, metrics, the playground page and the
 * contract stay open: probes and scrapers carry no key, and a page must load before it can ask for one. A refused
 * request gets 401 in the error shape of the API it called.
 */
final class ApiKeyFilter extends OncePerRequestFilter {

    /** Routes anyone may call: probes, scrapes, static pages and the contract. */
    private static final List<String> OPEN_PREFIXES = List.of("/actuator/", "/playground/", "/webjars/");

    private static final List<String> OPEN_PATHS =
            List.of("/health", "/metrics", "/openapi.yaml", "/docs", "/favicon.ico", "/error");

    private final byte[] expectedDigest;
    private final ObjectMapper json;

    ApiKeyFilter(String apiKey, ObjectMapper json) {
        this.expectedDigest = sha256(apiKey);
        this.json = json;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        if (OPEN_PATHS.contains(path) || OPEN_PREFIXES.stream().anyMatch(path::startsWith)) {
            return true;
        }
        return path.equals("/") && "GET".equals(request.getMethod()); // the playground page; POST / is the API
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (header != null
                && header.regionMatches(true, 0, "Bearer ", 0, 7)
                && MessageDigest.isEqual(sha256(header.substring(7).strip()), expectedDigest)) {
            chain.doFilter(request, response);
            return;
        }
        String message = header == null
                ? "this server needs an API key: send `Authorization: Bearer <key>`"
                : "the API key is not valid";
        Object body = request.getRequestURI().startsWith("/v1/")
                ? OpenAiErrorResponse.of(
                        HttpServletResponse.SC_UNAUTHORIZED, new ErrorResponse(message, "unauthorized"))
                : new ErrorResponse(message, "unauthorized");
        response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        response.getOutputStream().write(json.writeValueAsBytes(body));
    }

    /** Keys are compared as digests, in constant time: neither their bytes nor their length leak through timing. */
    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
