# Tributary server image.
#
#   docker build -t tributary .                    # compiles in a Maven stage (BuildKit)
#   mvn -B -ntp -DskipTests package && docker build --target from-host-jar -t tributary .
#                                                  # copies the jar built on the host
#
# RUNTIME_IMAGE must provide a Java 17+ runtime, bash and useradd (any Debian or Ubuntu JRE image does); BUILD_IMAGE a
# JDK 17 and Maven. The host-jar stages come before the Maven stage on purpose: the classic builder
# (DOCKER_BUILDKIT=0) builds every stage up to its target, and so never needs BUILD_IMAGE for --target from-host-jar.

ARG RUNTIME_IMAGE=eclipse-temurin:17-jre
ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-17

# ---- What every image shares: the user, the writable paths, the JVM's flags, the health check ----
FROM ${RUNTIME_IMAGE} AS runtime

# Caches (native PyTorch, the embedded default experts) live in one volume: the root file system can stay
# read-only. Group 0 may write too, for platforms that run images under an arbitrary user id.
RUN groupadd --gid 10001 tributary \
 && useradd --uid 10001 --gid 10001 --home-dir /var/cache/tributary --no-create-home \
            --shell /usr/sbin/nologin tributary \
 && mkdir -p /var/cache/tributary/djl /var/cache/tributary/mixtures \
 && chown -R 10001:0 /var/cache/tributary \
 && chmod -R 0775 /var/cache/tributary
COPY docker/healthcheck.sh /usr/local/bin/tributary-healthcheck

# DJL extracts ~430 MB of libtorch into DJL_CACHE_DIR on first start (ENGINE_CACHE_DIR for the engine's part).
# Weights and KV caches are native memory outside the Java heap, so the heap gets well under half the container.
# Replace JDK_JAVA_OPTIONS to change the JVM's flags; arguments after the image name are Spring Boot's
# (e.g. --tributary.engine.threads=2).
ENV TRIBUTARY_CACHE_DIR=/var/cache/tributary/mixtures \
    DJL_CACHE_DIR=/var/cache/tributary/djl \
    ENGINE_CACHE_DIR=/var/cache/tributary/djl \
    DJL_OFFLINE=true \
    JDK_JAVA_OPTIONS="-XX:MaxRAMPercentage=40 -XX:+ExitOnOutOfMemoryError -Dai.djl.offline=true" \
    PORT=8080
VOLUME /var/cache/tributary
WORKDIR /app
USER 10001:10001
# 8080: the HTTP API and probes; 50051: experts over gRPC when started with TRIBUTARY_ROLE=expert.
EXPOSE 8080 50051
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 CMD ["/usr/local/bin/tributary-healthcheck"]
ENTRYPOINT ["java", "-cp", "/app", "org.springframework.boot.loader.launch.JarLauncher"]

# ---- The jar built on the host (tools/target), split into its layers ----
FROM ${RUNTIME_IMAGE} AS host-jar-layers
WORKDIR /build
COPY tools/target/tributary-*.jar app.jar
RUN java -Djarmode=tools -jar app.jar extract --layers --launcher --destination layers

# Layers least often changed first (tools/src/layers.xml): a code change rebuilds only the last two.
FROM runtime AS from-host-jar
COPY --from=host-jar-layers /build/layers/native-libraries/ /app/
COPY --from=host-jar-layers /build/layers/dependencies/ /app/
COPY --from=host-jar-layers /build/layers/spring-boot-loader/ /app/
COPY --from=host-jar-layers /build/layers/snapshot-dependencies/ /app/
COPY --from=host-jar-layers /build/layers/application/ /app/

# ---- The jar built from source ----
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -ntp -DskipTests -pl tools -am package \
 && java -Djarmode=tools -jar tools/target/tributary-*.jar extract --layers --launcher --destination /build/layers

# The default target: the same image as from-host-jar, from the jar compiled above.
FROM runtime
COPY --from=build /build/layers/native-libraries/ /app/
COPY --from=build /build/layers/dependencies/ /app/
COPY --from=build /build/layers/spring-boot-loader/ /app/
COPY --from=build /build/layers/snapshot-dependencies/ /app/
COPY --from=build /build/layers/application/ /app/
