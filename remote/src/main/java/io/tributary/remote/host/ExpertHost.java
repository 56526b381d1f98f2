package io.tributary.remote.host;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.trace.Tracer;
import io.tributary.remote.proto.CloseReply;
import io.tributary.remote.proto.CloseRequest;
import io.tributary.remote.proto.CountPositionsReply;
import io.tributary.remote.proto.CountPositionsRequest;
import io.tributary.remote.proto.DescribeReply;
import io.tributary.remote.proto.DescribeRequest;
import io.tributary.remote.proto.ExpertServiceGrpc;
import io.tributary.remote.proto.Image;
import io.tributary.remote.proto.KeepAliveReply;
import io.tributary.remote.proto.KeepAliveRequest;
import io.tributary.remote.proto.OpenReply;
import io.tributary.remote.proto.OpenRequest;
import io.tributary.remote.proto.StepReply;
import io.tributary.remote.proto.StepRequest;
import io.tributary.routing.ExpertSession;
import io.tributary.routing.ImageInput;
import io.tributary.routing.Prompt;
import io.tributary.routing.refusal.RequestRefusedException;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Serves local experts to gateways: the gRPC side of {@code Expert} and {@code ExpertSession}. Requests for one
 * expert's forward passes are serialised on that expert (an expert runs one pass at a time); different experts
 * run side by side.
 */
final class ExpertHost extends ExpertServiceGrpc.ExpertServiceImplBase {

    private final Map<String, HostedExpert> experts;
    private final HostedSessions sessions;
    private final ExpertHostServer.Admission admission;
    private final Tracer tracer;
    private final Map<String, AtomicInteger> stepsInFlight; // per expert: the one running and those waiting
    private final AtomicLong refusedSessions = new AtomicLong();
    private final AtomicLong refusedSteps = new AtomicLong();

    ExpertHost(
            List<HostedExpert> experts, HostedSessions sessions, ExpertHostServer.Admission admission, Tracer tracer) {
        this.experts = experts.stream().collect(Collectors.toUnmodifiableMap(HostedExpert::name, Function.identity()));
        this.sessions = sessions;
        this.admission = admission;
        this.tracer = tracer;
        this.stepsInFlight = experts.stream()
                .collect(Collectors.toUnmodifiableMap(HostedExpert::name, expert -> new AtomicInteger()));
    }

    long refusedSessions() {
        return refusedSessions.get();
    }

    long refusedSteps() {
        return refusedSteps.get();
    }

    @Override
    public void describe(DescribeRequest request, StreamObserver<DescribeReply> reply) {
        answer(reply, () -> {
            HostedExpert hosted = expert(request.getExpert());
            DescribeReply.Builder described = DescribeReply.newBuilder()
                    .setName(hosted.name())
                    .setVocabularySize(hosted.expert().vocabularySize())
                    .setMaxSequenceLength(hosted.expert().maxSequenceLength())
                    .setKvBytesPerPosition(hosted.expert().kvBytesPerPosition())
                    .setImagePlaceholder(hosted.imagePlaceholder().orElse(""))
                    .addAllEosTokenIds(hosted.eosTokenIds())
                    .setSessionLeaseMillis(sessions.lease().toMillis());
            hosted.tokenizerFiles()
                    .forEach((name, bytes) -> described.putTokenizerFiles(name, ByteString.copyFrom(bytes)));
            return described.build();
        });
    }

    @Override
    public void countPositions(CountPositionsRequest request, StreamObserver<CountPositionsReply> reply) {
        answer(reply, () -> {
            HostedExpert hosted = expert(request.getExpert());
            Prompt prompt = prompt(request.getTokenIdsList(), request.getImagesList());
            return CountPositionsReply.newBuilder()
                    .setPositions(hosted.expert().promptPositions(prompt))
                    .build();
        });
    }

    @Override
    public void open(OpenRequest request, StreamObserver<OpenReply> reply) {
        answer(reply, () -> {
            HostedExpert hosted = expert(request.getExpert());
            if (!sessions.reserve()) {
                refusedSessions.incrementAndGet();
                throw Status.RESOURCE_EXHAUSTED
                        .withDescription("this expert server holds " + sessions.maxSessions()
                                + " sessions, its most; try another replica or later")
                        .asRuntimeException();
            }
            ExpertSession opened;
            try {
                opened = hosted.expert().open(prompt(request.getTokenIdsList(), request.getImagesList()));
            } catch (RuntimeException e) {
                sessions.unreserve();
                throw e;
            }
            HostedSessions.Hosted session = sessions.add(
                    hosted, opened, id -> SessionTrace.open(tracer, hosted.name(), id, opened.pendingPositions()));
            if (Context.current().isCancelled()) { // the gateway gave up waiting: nobody will close it
                sessions.close(session.id);
                throw Status.CANCELLED
                        .withDescription("the gateway cancelled the open")
                        .asRuntimeException();
            }
            return OpenReply.newBuilder()
                    .setSessionId(session.id)
                    .setPendingPositions(session.session.pendingPositions())
                    .build();
        });
    }

    @Override
    public void step(StepRequest request, StreamObserver<StepReply> reply) {
        answer(reply, () -> {
            HostedExpert hosted = expert(request.getExpert());
            double epsilon = request.getCompactEpsilon();
            if (!(epsilon >= 0 && epsilon < 1)) {
                throw new IllegalArgumentException("compact_epsilon must be in [0, 1), got " + epsilon);
            }
            AtomicInteger inFlight = stepsInFlight.get(hosted.name());
            try {
                if (inFlight.incrementAndGet() > admission.maxQueuedSteps() + 1) {
                    refusedSteps.incrementAndGet();
                    // Refused before any session was touched: the gateway may send the same step again.
                    throw Status.RESOURCE_EXHAUSTED
                            .withDescription("expert '" + hosted.name() + "' has " + admission.maxQueuedSteps()
                                    + " steps waiting already, its most")
                            .asRuntimeException();
                }
                return HostedStep.run(hosted, sessions, request.getEntriesList(), epsilon);
            } finally {
                inFlight.decrementAndGet();
            }
        });
    }

    @Override
    public void close(CloseRequest request, StreamObserver<CloseReply> reply) {
        answer(reply, () -> {
            request.getSessionIdsList().forEach(sessions::close);
            return CloseReply.getDefaultInstance();
        });
    }

    @Override
    public void keepAlive(KeepAliveRequest request, StreamObserver<KeepAliveReply> reply) {
        answer(reply, () -> {
            KeepAliveReply.Builder answer = KeepAliveReply.newBuilder();
            for (long id : request.getSessionIdsList()) {
                if (sessions.touch(id) == null) {
                    answer.addUnknownSessionIds(id);
                }
            }
            return answer.build();
        });
    }

    private HostedExpert expert(String name) {
        HostedExpert hosted = experts.get(name);
        if (hosted == null) {
            throw Status.NOT_FOUND
                    .withDescription(
                            "no expert '" + name + "' here; this server hosts " + String.join(", ", experts.keySet()))
                    .asRuntimeException();
        }
        return hosted;
    }

    private static Prompt prompt(List<Integer> tokenIds, List<Image> images) {
        int[] tokens = tokenIds.stream().mapToInt(Integer::intValue).toArray();
        return new Prompt(
                tokens,
                images.stream()
                        .map(image -> new ImageInput(image.getBytes().toByteArray(), image.getMediaType()))
                        .toList());
    }

    /**
     * Replies with the answer, or with a status a gateway can act on: {@code INVALID_ARGUMENT} only for a request
     * the expert refused, which the gateway refuses in turn; anything else, a bad argument between our own classes
     * included, is this host's failure.
     */
    private static <T> void answer(StreamObserver<T> reply, Supplier<T> work) {
        T answer;
        try {
            answer = work.get();
        } catch (StatusRuntimeException e) {
            reply.onError(e);
            return;
        } catch (RequestRefusedException e) {
            reply.onError(
                    Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (RuntimeException | Error e) {
            reply.onError(
                    Status.INTERNAL.withDescription(e.toString()).withCause(e).asRuntimeException());
            return;
        }
        reply.onNext(answer);
        reply.onCompleted();
    }
}
