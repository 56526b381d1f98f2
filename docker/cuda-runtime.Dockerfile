# A CUDA runtime base for the repository's Dockerfile (its RUNTIME_IMAGE): a Java 17 runtime plus libtorch 2.7.1
# built for CUDA 12.8, the PyTorch version and CUDA flavour that DJL 0.36's JNI library (bundled for cu128 in
# pytorch-jni 2.7.1-0.36.0) is built against. libtorch's "with-deps" archive carries its own CUDA and cuDNN
# libraries, so the host needs only the NVIDIA driver and the NVIDIA Container Toolkit.
#
#   docker build -f docker/cuda-runtime.Dockerfile -t tributary-cuda-runtime docker
#   docker build --build-arg RUNTIME_IMAGE=tributary-cuda-runtime -t tributary:0.1.0-cuda .
#
# The server image keeps the CPU libtorch of the jar too; DJL ignores it once PYTORCH_LIBRARY_PATH names a libtorch.

ARG JRE_IMAGE=eclipse-temurin:17-jre

FROM ${JRE_IMAGE} AS libtorch
ARG LIBTORCH_URL=https://download.pytorch.org/libtorch/cu128/libtorch-cxx11-abi-shared-with-deps-2.7.1%2Bcu128.zip
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl unzip \
 && curl -fsSL "$LIBTORCH_URL" -o /tmp/libtorch.zip \
 && unzip -q /tmp/libtorch.zip 'libtorch/lib/*' -d /opt \
 && rm /tmp/libtorch.zip

FROM ${JRE_IMAGE}
COPY --from=libtorch /opt/libtorch/lib /opt/libtorch/lib
# DJL loads this libtorch instead of the jar's CPU one, with the JNI library of the same flavour. The flavour must be
# named: left to itself DJL would ask for a "-precxx11" build, which it would have to download.
ENV PYTORCH_LIBRARY_PATH=/opt/libtorch/lib \
    PYTORCH_FLAVOR=cu128 \
    PYTORCH_VERSION=2.7.1 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
