package io.tributary.remote.security;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** The bearer-token option of the expert link: the gateway sends it on every call, the expert server checks it. */
public final class BearerTokens {

    static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private BearerTokens() {}

    /** Adds {@code authorization: Bearer <token>} to every call. */
    public static ClientInterceptor sending(String token) {
        return new ClientInterceptor() {
            @Override
            public <Q, A> ClientCall<Q, A> interceptCall(
                    MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<A> listener, Metadata headers) {
                        headers.put(AUTHORIZATION, "Bearer " + token);
                        super.start(listener, headers);
                    }
                };
            }
        };
    }

    /** Refuses calls without the token with UNAUTHENTICATED; health checks (probes) need none. */
    public static ServerInterceptor requiring(String token) {
        byte[] expected = ("Bearer " + token).getBytes(StandardCharsets.US_ASCII);
        return new ServerInterceptor() {
            @Override
            public <Q, A> ServerCall.Listener<Q> interceptCall(
                    ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
                String service = call.getMethodDescriptor().getServiceName();
                String given = headers.get(AUTHORIZATION);
                boolean valid =
                        given != null && MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.US_ASCII));
                if (!valid && !HealthGrpc.SERVICE_NAME.equals(service)) {
                    call.close(
                            Status.UNAUTHENTICATED.withDescription(
                                    given == null
                                            ? "this expert server needs a bearer token (authorization: Bearer ...)"
                                            : "the bearer token is not this expert server's"),
                            new Metadata());
                    return new ServerCall.Listener<>() {};
                }
                return next.startCall(call, headers);
            }
        };
    }
}
