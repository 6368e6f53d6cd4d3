# syntax=docker/dockerfile:1
# kstream-app container image.
#   docker build -t kstream-app .        (or `make deploy-image`, which also pushes to ACR)
#   make image-local                     (podman/buildah, no engine; scripts/image/build-image.sh
#                                         makes debian:12 and debian:12-slim from Debian packages)
# Stage "build" compiles on Debian 12 with exactly the packages of the local build
# (scripts/setup.d/10-apt-core.sh is run as is); stage "runtime" is Debian 12 slim with
# only the job's shared libraries, tini, CA certificates (for SASL_SSL brokers), the
# binary and a default configuration.

ARG DEBIAN_IMAGE=debian:12

FROM ${DEBIAN_IMAGE} AS build
WORKDIR /src
# The same dependency step as on a developer machine, so both builds use one package list.
COPY scripts/lib/apt.sh scripts/lib/apt.sh
COPY scripts/setup.d/10-apt-core.sh scripts/setup.d/10-apt-core.sh
RUN bash scripts/setup.d/10-apt-core.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build --target kstream-app -j"$(nproc)" \
 && install -D -m 0755 "$(find /build -type f -name kstream-app -perm -u+x | head -n 1)" /out/usr/local/bin/kstream-app \
 && strip /out/usr/local/bin/kstream-app \
 && install -D -m 0644 app/caf-application.ini /out/etc/kstream-app/caf-application.ini

FROM ${DEBIAN_IMAGE}-slim AS runtime
# Runtime libraries of the binary (the -dev packages of the build stage, minus -dev).
# tests/deploy/dockerfile.sh checks this list against the binary's NEEDED entries.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcaf-core0.17 libcaf-io0.17 librdkafka++1 librdkafka1 libboost-json1.81.0 libspdlog1.10 \
      tini ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 kstream \
 && useradd --system --uid 10001 --gid kstream --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin kstream
COPY --from=build /out/ /
USER 10001:10001
# /healthz, /readyz, /metrics ([http] port of the configuration)
EXPOSE 8080
# tini is PID 1: it forwards SIGTERM to the job (whose handler starts the graceful stop
# bounded by job.shutdown-timeout-ms) and reaps zombies. Exec form, so no shell sits in
# between to swallow the signal.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/kstream-app"]
CMD ["--config-file=/etc/kstream-app/caf-application.ini"]
